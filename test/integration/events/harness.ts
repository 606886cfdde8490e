/**
 * Shared set-up of the events tests: a config on a fresh Redis prefix, the events role (dispatcher + webhook
 * worker) and a fastify instance with the webhook and events routes and a minimal error handler, listening on
 * 127.0.0.1 (real HTTP). Logs are captured so tests can check that no secret reaches them.
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config/index.js';
import type { Config } from '../../../src/config/types.js';
import { createEventsRole, type EventsRole } from '../../../src/app/roles/events.js';
import { eventRoutes } from '../../../src/api/routes/events.js';
import { webhookRoutes } from '../../../src/api/routes/webhooks.js';
import { AppError } from '../../../src/lib/errors.js';
import { createLogger } from '../../../src/lib/logger.js';
import { createKeys, type Keys } from '../../../src/workflow/keys.js';
import type { AttachmentRecord, CompletionEvent, EventType } from '../../../src/workflow/types.js';
import { randomUUID } from 'node:crypto';
import { requestJson } from '../../helpers/http.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';

export interface Harness {
  config: Config;
  keys: Keys;
  redis: Redis;
  role: EventsRole;
  app: FastifyInstance;
  baseUrl: string;
  /** Everything logged so far (JSON lines). */
  logs(): string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Append an event in the record store's format (field `event` = JSON). Returns the stream id. */
  addEvent(event: CompletionEvent): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  webhook?: Partial<Config['webhook']>;
  /** Start the dispatcher and the worker (default true). */
  startRole?: boolean;
  claimIdleMs?: number;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const prefix = freshPrefix('ev');
  const config = loadConfig({
    env: { APP_ENV: 'test', REDIS_URL: TEST_REDIS_URL },
    overrides: { redis: { prefix }, webhook: opts.webhook ?? {}, workers: { concurrency: { webhook: 10 } } },
  });
  const keys = createKeys(prefix);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', pretty: 'false' }, sink);
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const role = createEventsRole(config, { logger, redis, dispatcher: { claimIdleMs: opts.claimIdleMs ?? 60_000, blockMs: 500 } });
  if (opts.startRole !== false) await role.start();

  const app = Fastify({ logger: false });
  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof AppError) {
      void reply.code(err.httpStatus ?? 500).send({ error: { code: err.code, message: err.message, details: err.details ?? {} } });
      return;
    }
    const e = err as { statusCode?: number; message?: string; validation?: unknown };
    const status = e.statusCode ?? 500;
    void reply.code(status).send({ error: { code: e.validation ? 'VALIDATION_FAILED' : 'INTERNAL', message: e.message ?? 'error', details: {} } });
  });
  await app.register(webhookRoutes({ subscriptions: role.subscriptions, deliveries: role.deliveries, enqueue: role.queue.enqueue }));
  await app.register(eventRoutes({ redis, keys }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  return {
    config,
    keys,
    redis,
    role,
    app,
    baseUrl,
    logs: () => lines.join(''),
    api: <T>(method: string, path: string, body?: unknown) => requestJson<T>(baseUrl, method, path, { body }),
    async addEvent(event) {
      // Trimmed as the record store's scripts trim: by length, and by age when an age limit is set.
      const id = (await redis.xadd(keys.events(), 'MAXLEN', '~', config.events.streamMaxLen, '*', 'event', JSON.stringify(event))) as string;
      if (config.events.streamMaxAgeHours > 0) await redis.xtrim(keys.events(), 'MINID', '~', Date.now() - config.events.streamMaxAgeHours * 3_600_000);
      return id;
    },
    async close() {
      await app.close();
      await role.stop();
      await dropPrefix(TEST_REDIS_URL, prefix);
      await redis.quit();
    },
  };
}

/** An attachment event shaped as the record store writes it. */
export function attachmentEvent(type: EventType = 'attachment.succeeded', extra: Partial<AttachmentRecord> = {}): CompletionEvent {
  const now = new Date().toISOString();
  const status = type === 'attachment.failed' ? 'failed' : type === 'attachment.cancelled' ? 'cancelled' : 'succeeded';
  const record: AttachmentRecord = {
    id: `att_${randomUUID()}`,
    status,
    stage: 'poll',
    server_id: randomUUID(),
    request: { server_id: 'srv' },
    created_at: now,
    updated_at: now,
    finished_at: now,
    stages: {},
    ...extra,
  };
  return { id: `evt_${randomUUID()}`, type, timestamp: now, data: record };
}

export interface DeliveryView {
  id: string;
  event_id: string;
  status: string;
  series: number;
  attempt_count: number;
  last_error?: string;
  attempts: Array<{ at: string; series: number; status_code?: number; duration_ms: number; error?: string }>;
}
