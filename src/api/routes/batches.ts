/**
 * /v1/batches: enqueue many attachments at once (validated as a whole, once, by the validator compiler; records,
 * indexes and batch written in one all-or-nothing script, the first-stage jobs with deterministic ids right behind
 * it), and read a batch: counts by status and a summary of each item.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../lib/errors.js';
import { BatchRequestSchema, validatedBatchOf } from '../../workflow/request/index.js';
import { TERMINAL_STATUSES, type AttachmentRecord, type AttachmentRequest } from '../../workflow/types.js';
import type { Producer } from '../../queues/producer.js';
import { assertCallbackTargets } from '../../queues/producer-callback-targets.js';
import { BatchAcceptedSchema, BatchIdParams, BatchViewSchema, ErrorSchema, IdempotencyHeaders } from '../schemas.js';

export interface BatchRoutesOptions {
  producer: Producer;
  onAccepted?: (count: number) => void;
  /** config.webhook.allowPrivate (see AttachmentRoutesOptions). */
  allowPrivateCallbacks: boolean;
  /** Body limit of POST /v1/batches, in bytes (batchBodyLimit in ../server.ts). */
  bodyLimit: number;
}

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema };

/** What GET /v1/batches/{id} shows of each item (the full record is at /v1/attachments/{id}). */
export function batchItem(r: AttachmentRecord): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    stage: r.stage,
    server_id: r.server_id,
    ...(r.ip_address ? { ip_address: r.ip_address } : {}),
    ...(r.nic_id ? { nic_id: r.nic_id } : {}),
    ...(r.port_id ? { port_id: r.port_id } : {}),
    ...(r.finished_at ? { finished_at: r.finished_at } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

export const batchRoutes: FastifyPluginAsyncTypebox<BatchRoutesOptions> = async (app, opts) => {
  const { producer } = opts;

  app.post(
    '/v1/batches',
    {
      bodyLimit: opts.bodyLimit,
      schema: {
        summary: 'Enqueue a batch of attachments',
        description:
          'All items are validated first: one bad item rejects the batch (400, `details.index` names it) and nothing is enqueued. ' +
          'More items than api.batchMaxItems → 413 BATCH_TOO_LARGE. A callback_url (the batch\'s or an item\'s) while the service has no ' +
          'WEBHOOK_SECRET → 422 CALLBACK_URL_NOT_SIGNABLE; one whose host is a private/loopback/metadata IP literal or localhost → 400 ' +
          'CALLBACK_URL_FORBIDDEN (unless WEBHOOK_ALLOW_PRIVATE). Accepted batches are written atomically → 202. The body limit of this ' +
          'route is sized for BATCH_MAX_ITEMS maximal items (at least API_BODY_LIMIT_BYTES). 503 REDIS_UNAVAILABLE: nothing was written; ' +
          '503 OUTCOME_UNKNOWN: the write was sent but not confirmed — retry with the same Idempotency-Key.',
        tags: ['batches'],
        headers: IdempotencyHeaders,
        body: BatchRequestSchema,
        response: { 200: BatchAcceptedSchema, 202: BatchAcceptedSchema, ...errors, 413: ErrorSchema, 415: ErrorSchema, 422: ErrorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const key = request.headers['idempotency-key'];
      const keyOpt = key === undefined ? {} : { idempotencyKey: key };
      assertCallbackTargets(body, opts.allowPrivateCallbacks);
      // The validator compiler (../validation.ts) has run validateBatchRequest on this very body: hand it over as
      // validated rather than validate 1,000 items twice. Registered without that compiler, the producer validates.
      const validated = validatedBatchOf(body);
      const accepted = validated
        ? await producer.attachBatchValidated(validated, keyOpt)
        : await producer.attachBatch(body.items as AttachmentRequest[], {
            ...(body.callback_url === undefined ? {} : { callback_url: body.callback_url }),
            ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
            ...keyOpt,
          });
      if (accepted.created) opts.onAccepted?.(accepted.total);
      void reply.code(accepted.created ? 202 : 200).header('location', `/v1/batches/${accepted.id}`);
      return { id: accepted.id, total: accepted.total, attachment_ids: accepted.attachment_ids };
    },
  );

  app.get(
    '/v1/batches/:id',
    {
      schema: {
        summary: 'A batch: counts by status and its items',
        tags: ['batches'],
        params: BatchIdParams,
        response: { 200: BatchViewSchema, ...errors },
      },
    },
    async (request) => {
      const view = await producer.getBatch(request.params.id);
      if (!view) throw new AppError('BATCH_NOT_FOUND', `batch ${request.params.id} does not exist`, { httpStatus: 404, details: { id: request.params.id } });
      const records = await producer.getMany(view.attachment_ids);
      const ended = TERMINAL_STATUSES.reduce((n, s) => n + view.counts[s], 0);
      const { attachment_ids: _ids, ...summary } = view;
      return {
        ...summary,
        done: ended >= view.total,
        items: records.filter((r): r is AttachmentRecord => r !== null).map(batchItem),
      };
    },
  );
};
