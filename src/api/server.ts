/**
 * The HTTP API (design.md §4): fastify with the app's pino logger, TypeBox schemas for validation, types and the
 * OpenAPI document (/docs, JSON at /docs/json), bearer-key auth, one error shape. Enqueueing goes through the
 * producer (src/queues/producer.ts), whose Redis connection fails fast, so with Redis down POST answers 503
 * within seconds while /healthz stays 200 and /readyz says 503. Bodies are limited to api.bodyLimitBytes, except
 * POST /v1/batches, whose limit is sized for BATCH_MAX_ITEMS maximal items (batchBodyLimit).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import type { Logger } from '../lib/logger.js';
import { createProducer, type Producer } from '../queues/producer.js';
import { installAuth } from './auth.js';
import { installErrorHandlers } from './errors.js';
import { createApiMetrics } from './metrics.js';
import { createValidatorCompiler } from './validation.js';
import { attachmentRoutes } from './routes/attachments.js';
import { batchRoutes } from './routes/batches.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import { eventRoutes } from './routes/events.js';
import { webhookRoutes, type WebhookRoutesDeps } from './routes/webhooks.js';
import { createKeys } from '../workflow/keys.js';
import { storeSettingsFromConfig } from '../workflow/record-store.js';
import { createSubscriptionStore } from '../events/subscriptions.js';
import { createDeliveryStore } from '../events/deliveries.js';
import { createWebhookQueue, type WebhookQueue } from '../queues/webhook-queue.js';
import { createQueueInspector } from '../queues/queue-inspector.js';
import { dashboardRoutes } from './routes/dashboard.js';

export type ApiConfig = Pick<Config, 'api' | 'redis' | 'workflow' | 'events' | 'webhook'>;

export interface ApiDeps {
  logger: Logger;
  /**
   * The producer to enqueue with (made with `callbackUrls: callbackUrlsMode(config)`); when absent the server
   * makes one on config.redis.url and closes it on close().
   */
  producer?: Producer;
  /** Prometheus registry shared with the rest of the process (default: a fresh one). */
  registry?: Registry;
  /** Extra readiness checks (workers progressing, ...). */
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  /**
   * The webhook subscription stores and delivery queue of the events role, when this process runs it; otherwise
   * the server makes its own on the producer's connection (the same Redis keys).
   */
  webhooks?: WebhookRoutesDeps;
}

/**
 * Bytes allowed per item in the body of POST /v1/batches. The largest item the validator accepts — 4 KiB of
 * metadata, a 2,048-character callback_url, every other field at its limit (names, descriptions, 5 DNS servers,
 * 10 security groups, DHCP options) — is 7,923 bytes as compact ASCII JSON and ~8.5 KB pretty-printed; 12 KiB
 * leaves room for Chinese names and escaped characters in descriptions.
 */
export const BATCH_ITEM_BODY_BYTES = 12 * 1024;
/** The batch's own callback_url and metadata, and the envelope. */
const BATCH_ENVELOPE_BYTES = 16 * 1024;
/** Upper bound of the derived limit: a body is buffered and parsed whole (64 MiB ≈ 5,400 maximal items). */
export const BATCH_BODY_LIMIT_CAP = 64 * 1024 * 1024;

/**
 * The body limit of POST /v1/batches: room for BATCH_MAX_ITEMS maximal items (1,000 → 12,304,384 bytes,
 * ~11.7 MiB), so the largest batch the API documents is accepted, never less than API_BODY_LIMIT_BYTES (the
 * limit of every other route) and, when BATCH_MAX_ITEMS is raised past ~5,400, at most BATCH_BODY_LIMIT_CAP
 * unless API_BODY_LIMIT_BYTES is set higher still.
 */
export function batchBodyLimit(api: Pick<Config['api'], 'batchMaxItems' | 'bodyLimitBytes'>): number {
  const derived = Math.min(api.batchMaxItems * BATCH_ITEM_BODY_BYTES + BATCH_ENVELOPE_BYTES, BATCH_BODY_LIMIT_CAP);
  return Math.max(api.bodyLimitBytes, derived);
}

/** Without WEBHOOK_SECRET a callback_url could never be delivered (unsigned): the API refuses it (422). */
export function callbackUrlsMode(config: Pick<Config, 'webhook'>): 'signed' | 'disabled' {
  return config.webhook.secret === '' ? 'disabled' : 'signed';
}

export interface ApiServer {
  app: FastifyInstance;
  producer: Producer;
  /** Listen on config.api.host:port (or the given port); resolves with the base URL. */
  listen(opts?: { host?: string; port?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function createApiServer(config: ApiConfig, deps: ApiDeps): Promise<ApiServer> {
  const ownsProducer = deps.producer === undefined;
  const producer =
    deps.producer ??
    createProducer({
      redis: config.redis.url,
      prefix: config.redis.prefix,
      logger: deps.logger,
      idempotencyTtlHours: config.api.idempotencyTtlHours,
      batchMaxItems: config.api.batchMaxItems,
      workflow: config.workflow,
      store: storeSettingsFromConfig(config),
      callbackUrls: callbackUrlsMode(config),
      allowPrivateCallbacks: config.webhook.allowPrivate,
    });
  const registry = deps.registry ?? new Registry();
  const metrics = createApiMetrics(registry);

  const base = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.api.bodyLimitBytes,
    // The request id is ours to log; never trust a client-sent one.
    requestIdHeader: false,
    return503OnClosing: true,
  });
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler({ batchMaxItems: config.api.batchMaxItems }));
  // Response schemas document; they do not filter. Plain JSON.stringify never drops a record field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  installErrorHandlers(base);
  installAuth(base, config.api.keys);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ecs-nic-attach',
        version: '1',
        description: 'Attach network interfaces to Huawei Cloud ECS servers through staged jobs. Errors: `{ error: { code, message, details } }`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A key of API_KEYS.' } } },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'attachments', description: 'One attachment at a time' },
        { name: 'batches', description: 'Many attachments, enqueued atomically' },
        { name: 'events', description: 'Completion events for pull consumers' },
        { name: 'webhooks', description: 'Webhook subscriptions and deliveries' },
        { name: 'operations', description: 'Health, readiness, metrics (no key needed)' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const onAccepted = (n: number): void => metrics.accepted.inc(n);
  await app.register(healthRoutes, { producer, registry, ...(deps.readiness ? { readiness: deps.readiness } : {}) });
  const allowPrivateCallbacks = config.webhook.allowPrivate;
  await app.register(attachmentRoutes, { producer, onAccepted, allowPrivateCallbacks });
  await app.register(batchRoutes, { producer, onAccepted, allowPrivateCallbacks, bodyLimit: batchBodyLimit(config.api) });
  const keys = createKeys(config.redis.prefix);
  let ownWebhookQueue: WebhookQueue | undefined;
  let webhooks = deps.webhooks;
  if (!webhooks) {
    const redis = producer.connection;
    ownWebhookQueue = createWebhookQueue({ connection: redis, prefix: config.redis.prefix });
    webhooks = {
      subscriptions: createSubscriptionStore({
        redis,
        keys,
        allowPrivate: config.webhook.allowPrivate,
        secretOverlapHours: config.webhook.secretOverlapHours,
        disableAfterHours: config.webhook.disableAfterHours,
      }),
      deliveries: createDeliveryStore({ redis, keys, retentionDays: config.workflow.recordRetentionDays }),
      enqueue: ownWebhookQueue.enqueue,
    };
  }
  await app.register(eventRoutes({ redis: producer.connection, keys }));
  await app.register(webhookRoutes(webhooks));
  // The queue dashboard (bull-board) at /admin/queues, behind the API keys (./routes/dashboard.ts).
  const inspector = createQueueInspector({ connection: producer.connection, prefix: config.redis.prefix });
  await app.register(dashboardRoutes, { adapters: inspector.boardAdapters(), keys: config.api.keys, title: `nic-attach queues (${config.redis.prefix})` });

  await app.ready();

  return {
    app: base,
    producer,
    async listen(opts = {}) {
      return app.listen({ host: opts.host ?? config.api.host, port: opts.port ?? config.api.port });
    },
    async close() {
      await app.close();
      await ownWebhookQueue?.close();
      await inspector.close();
      if (ownsProducer) await producer.close();
    },
  };
}
