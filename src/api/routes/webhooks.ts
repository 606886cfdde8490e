/**
 * Webhook subscription and delivery routes (design.md §4). A fastify plugin factory with explicit deps; the
 * server registers it without a prefix (paths are absolute) after its auth hook and error handler, which
 * render the AppErrors thrown here as `{ error: { code, message, details } }`.
 *
 *   POST   /v1/webhooks                                  create → 201, the secret shown once
 *   GET    /v1/webhooks                                  list (no secrets)
 *   GET    /v1/webhooks/{id}                             one (no secret)
 *   DELETE /v1/webhooks/{id}                             204
 *   POST   /v1/webhooks/{id}/rotate-secret               new secret; the old one signs until the overlap ends
 *   POST   /v1/webhooks/{id}/enable                      re-enable a disabled subscription (failure window reset)
 *   GET    /v1/webhooks/{id}/deliveries                  its deliveries with their attempts (?status=dead…)
 *   GET    /v1/webhooks/dead-letters                     every dead delivery (callback_url ones too)
 *   GET    /v1/webhooks/deliveries/{delivery_id}         one delivery
 *   POST   /v1/webhooks/deliveries/{delivery_id}/replay  202: a fresh attempt series, same webhook-id
 */
/// <reference types="@fastify/swagger" />
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { DeliveryStore } from '../../events/deliveries.js';
import type { SubscriptionStore } from '../../events/subscriptions.js';
import { DELIVERY_STATUSES, type EnqueueDelivery } from '../../events/types.js';
import { AppError } from '../../lib/errors.js';
import { EVENT_TYPES } from '../../workflow/types.js';

/** A union of string literals, typed as the union (TypeBox's array overload widens to string). */
const literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));
const EventTypeSchema = literals(EVENT_TYPES);
const DeliveryStatusSchema = literals(DELIVERY_STATUSES);
const DateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

const SubscriptionFields = {
  id: Type.String({ description: 'wh_<uuid>' }),
  url: Type.String(),
  events: Type.Array(EventTypeSchema, { description: 'Event types delivered; empty = all.' }),
  description: Type.String(),
  enabled: Type.Boolean(),
  created_at: DateTime(),
};
export const SubscriptionSchema = Type.Object({
  ...SubscriptionFields,
  disabled_at: Type.Optional(DateTime()),
  disabled_reason: Type.Optional(Type.String()),
  failing_since: Type.Optional(DateTime('Start of the current run of failed attempts.')),
});

export const CreateSubscriptionBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL of the receiver; refused when it resolves to a private address (unless WEBHOOK_ALLOW_PRIVATE).' }),
    events: Type.Optional(Type.Array(EventTypeSchema, { maxItems: 20, description: 'Event types to deliver; omitted or empty = all.' })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const CreatedSubscription = Type.Object({
  ...SubscriptionFields,
  secret: Type.String({ description: 'whsec_<base64>: shown only here; verify webhook-signature with it.' }),
});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const DeliveryIdParams = Type.Object({ delivery_id: Type.String({ minLength: 1, maxLength: 200 }) });

const RotatedSecret = Type.Object({
  secret: Type.String(),
  previous_secret_expires_at: DateTime('Until then the previous secret signs too (both signatures are sent).'),
});

const AttemptSchema = Type.Object({
  at: DateTime(),
  series: Type.Integer({ description: '0 = the first series; each replay starts a new one.' }),
  status_code: Type.Optional(Type.Integer()),
  duration_ms: Type.Integer(),
  error: Type.Optional(Type.String()),
  response_body: Type.Optional(Type.String({ description: 'Start of the answer, up to WEBHOOK_MAX_RESPONSE_BYTES.' })),
});

export const DeliverySchema = Type.Object({
  id: Type.String({ description: '<event_id>.<subscription id | cb>' }),
  event_id: Type.String({ description: 'The webhook-id header of every attempt.' }),
  event_type: EventTypeSchema,
  target: literals(['subscription', 'callback'] as const),
  subscription_id: Type.Optional(Type.String()),
  url: Type.String(),
  status: DeliveryStatusSchema,
  series: Type.Integer(),
  attempt_count: Type.Integer({ description: 'Attempts in the current series.' }),
  created_at: DateTime(),
  updated_at: DateTime(),
  next_attempt_at: Type.Optional(DateTime()),
  finished_at: Type.Optional(DateTime()),
  last_error: Type.Optional(Type.String()),
  attempts: Type.Array(AttemptSchema),
});

const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(DeliveryStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,10}$', description: 'next_cursor of the previous page.' })),
  },
  { additionalProperties: false },
);

const DeliveryPage = Type.Object({
  deliveries: Type.Array(DeliverySchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

const ReplayAccepted = Type.Object({ id: Type.String(), status: Type.Literal('pending'), series: Type.Integer() });

export interface WebhookRoutesDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  /** src/queues/webhook-queue.ts `enqueue`. */
  enqueue: EnqueueDelivery;
}

const notFound = (id: string): AppError => new AppError('WEBHOOK_NOT_FOUND', `no webhook subscription ${id}`, { httpStatus: 404, details: { id } });
const deliveryNotFound = (id: string): AppError =>
  new AppError('WEBHOOK_DELIVERY_NOT_FOUND', `no webhook delivery ${id} (finished deliveries expire after the record retention)`, { httpStatus: 404, details: { delivery_id: id } });

const tags = ['webhooks'];

export function webhookRoutes(deps: WebhookRoutesDeps): FastifyPluginAsync {
  const { subscriptions, deliveries } = deps;
  return async (app) => {
    app.post<{ Body: Static<typeof CreateSubscriptionBody> }>(
      '/v1/webhooks',
      { schema: { tags, summary: 'Create a webhook subscription', body: CreateSubscriptionBody, response: { 201: CreatedSubscription } } },
      async (req, reply) => {
        const created = await subscriptions.create(req.body);
        return reply.code(201).send(created);
      },
    );

    app.get('/v1/webhooks', { schema: { tags, summary: 'List webhook subscriptions', response: { 200: Type.Object({ webhooks: Type.Array(SubscriptionSchema) }) } } }, async () => ({
      webhooks: await subscriptions.list(),
    }));

    app.get('/v1/webhooks/dead-letters', { schema: { tags, summary: 'Dead-lettered deliveries, newest first', querystring: DeliveriesQuery, response: { 200: DeliveryPage } } }, async (req) => {
      const q = req.query as Static<typeof DeliveriesQuery>;
      return deliveries.listDead({ limit: q.limit ?? 20, ...(q.cursor ? { cursor: q.cursor } : {}) });
    });

    app.get<{ Params: Static<typeof IdParams> }>('/v1/webhooks/:id', { schema: { tags, summary: 'One webhook subscription', params: IdParams, response: { 200: SubscriptionSchema } } }, async (req) => {
      const sub = await subscriptions.get(req.params.id);
      if (!sub) throw notFound(req.params.id);
      return sub;
    });

    app.delete<{ Params: Static<typeof IdParams> }>('/v1/webhooks/:id', { schema: { tags, summary: 'Delete a webhook subscription', params: IdParams, response: { 204: Type.Null() } } }, async (req, reply) => {
      if (!(await subscriptions.delete(req.params.id))) throw notFound(req.params.id);
      return reply.code(204).send();
    });

    app.post<{ Params: Static<typeof IdParams> }>(
      '/v1/webhooks/:id/rotate-secret',
      { schema: { tags, summary: 'Rotate the signing secret (the previous one keeps signing during the overlap)', params: IdParams, response: { 200: RotatedSecret } } },
      async (req) => {
        const rotated = await subscriptions.rotateSecret(req.params.id);
        if (!rotated) throw notFound(req.params.id);
        return rotated;
      },
    );

    app.post<{ Params: Static<typeof IdParams> }>(
      '/v1/webhooks/:id/enable',
      {
        schema: {
          tags,
          summary: 'Re-enable a subscription (disabled by a 410 or by failing too long)',
          description:
            'It gets deliveries of events from now on (deliveries cancelled or dead-lettered meanwhile can be replayed) and its failure ' +
            'window starts afresh (failing_since cleared). Enabling an enabled subscription changes nothing else.',
          params: IdParams,
          response: { 200: SubscriptionSchema },
        },
      },
      async (req) => {
        const sub = await subscriptions.enable(req.params.id);
        if (!sub) throw notFound(req.params.id);
        return sub;
      },
    );

    app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof DeliveriesQuery> }>(
      '/v1/webhooks/:id/deliveries',
      { schema: { tags, summary: 'Deliveries of a subscription with their attempts, newest first', params: IdParams, querystring: DeliveriesQuery, response: { 200: DeliveryPage } } },
      async (req) => {
        if (!(await subscriptions.get(req.params.id))) throw notFound(req.params.id);
        const q = req.query;
        return deliveries.listForSubscription(req.params.id, { limit: q.limit ?? 20, ...(q.status ? { status: q.status } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) });
      },
    );

    app.get<{ Params: Static<typeof DeliveryIdParams> }>(
      '/v1/webhooks/deliveries/:delivery_id',
      { schema: { tags, summary: 'One delivery with its attempts', params: DeliveryIdParams, response: { 200: DeliverySchema } } },
      async (req) => {
        const d = await deliveries.get(req.params.delivery_id);
        if (!d) throw deliveryNotFound(req.params.delivery_id);
        return d;
      },
    );

    app.post<{ Params: Static<typeof DeliveryIdParams> }>(
      '/v1/webhooks/deliveries/:delivery_id/replay',
      { schema: { tags, summary: 'Send a finished delivery again (a fresh attempt series, same webhook-id)', params: DeliveryIdParams, response: { 202: ReplayAccepted } } },
      async (req, reply) => {
        const id = req.params.delivery_id;
        const series = await deliveries.replay(id);
        if (series === undefined) throw deliveryNotFound(id);
        if (series === 'pending') {
          throw new AppError('WEBHOOK_DELIVERY_PENDING', `delivery ${id} is still being attempted; replay it once it has ended`, { httpStatus: 409, details: { delivery_id: id } });
        }
        try {
          await deps.enqueue(id, series);
        } catch (err) {
          // Not left pending without a job: it would never end and could not be replayed again.
          await deliveries.finish(id, 'dead', 'replay could not be enqueued').catch(() => undefined);
          throw err;
        }
        return reply.code(202).send({ id, status: 'pending' as const, series });
      },
    );
  };
}
