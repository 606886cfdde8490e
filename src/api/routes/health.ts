/**
 * Open routes (no API key): /healthz is liveness only (the process serves HTTP: always 200, so an orchestrator
 * does not restart the API because Redis is down); /readyz is readiness (Redis answers a PING within the time
 * limit, plus any checks the app adds, e.g. workers progressing): 200 or 503; /metrics is Prometheus text.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { Producer } from '../../queues/producer.js';
import { HealthSchema, ReadySchema } from '../schemas.js';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface HealthRoutesOptions {
  producer: Pick<Producer, 'ping'>;
  registry: Registry;
  /** Extra readiness checks (by name); each is given `timeoutMs` too. */
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  timeoutMs?: number;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const open = { public: true };

  app.get(
    '/healthz',
    { config: open, schema: { summary: 'Liveness (always 200 while the process serves HTTP)', tags: ['operations'], security: [], response: { 200: HealthSchema } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: open,
      schema: { summary: 'Readiness: Redis reachable and the app checks pass (200), else 503', tags: ['operations'], security: [], response: { 200: ReadySchema, 503: ReadySchema } },
    },
    async (_request, reply) => {
      const checks: Record<string, ReadinessCheck> = {};
      try {
        await withTimeout(opts.producer.ping(), timeoutMs, 'Redis');
        checks.redis = { ok: true };
      } catch (err) {
        checks.redis = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
      if (opts.readiness) {
        try {
          Object.assign(checks, await withTimeout(opts.readiness(), timeoutMs, 'readiness checks'));
        } catch (err) {
          checks.app = { ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }
      const ready = Object.values(checks).every((c) => c.ok);
      void reply.code(ready ? 200 : 503);
      return { status: ready ? ('ready' as const) : ('not_ready' as const), checks };
    },
  );

  app.get(
    '/metrics',
    { config: open, schema: { summary: 'Prometheus metrics', tags: ['operations'], security: [], hide: false } },
    async (_request, reply) => {
      void reply.header('content-type', opts.registry.contentType);
      return opts.registry.metrics();
    },
  );
};
