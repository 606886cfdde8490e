/**
 * The operations side of one process, built once by createApp next to its Redis connection: the Prometheus
 * registry with the hooks the roles plug into the workers and the webhook delivery (./metrics.ts), worker
 * liveness from heartbeats for /readyz (./metrics-heartbeat.ts), the queue inspector behind the queue-depth
 * metrics, and — in a process without the API (`nic-attach worker`) — the small server that serves /metrics,
 * /healthz and /readyz on config.metrics.host:port (./metrics-server.ts). A process with the API serves
 * those on the API's port.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/types.js';
import type { Logger } from '../lib/logger.js';
import { createQueueInspector, type QueueInspector } from '../queues/queue-inspector.js';
import { createKeys, type Keys } from '../workflow/keys.js';
import { createWorkerHeartbeat, createWorkerLiveness, type WorkerHeartbeat, type WorkerLiveness } from './metrics-heartbeat.js';
import { createAppMetrics, type AppMetrics } from './metrics.js';
import { createMetricsServer, type MetricsServer, type ReadyCheck } from './metrics-server.js';

export interface AppOps {
  readonly metrics: AppMetrics;
  readonly liveness: WorkerLiveness;
  readonly keys: Keys;
  /** A heartbeat for this process's workers (the workers role starts it once they run). */
  heartbeat(isRunning: () => boolean): WorkerHeartbeat;
  /** The checks /readyz adds to "Redis answers": worker processes alive (any process, from their heartbeats). */
  readiness(): Promise<Record<string, ReadyCheck>>;
  /** Serve /metrics, /healthz, /readyz on config.metrics when this process has no API; a taken port is a warning. */
  startServer(opts: { hasApi: boolean; ownWorkersRunning?: () => boolean }): Promise<void>;
  stopServer(): Promise<void>;
  close(): Promise<void>;
}

export function createAppOps(config: Config, deps: { redis: Redis; logger: Logger }): AppOps {
  const keys = createKeys(config.redis.prefix);
  const log = deps.logger.child({ role: 'ops' });
  let inspector: QueueInspector | undefined;
  const queues = (): QueueInspector => (inspector ??= createQueueInspector({ connection: deps.redis, prefix: config.redis.prefix }));
  const liveness = createWorkerLiveness({ redis: deps.redis, keys });
  const metrics = createAppMetrics({
    redis: deps.redis,
    keys,
    inspector: { jobCounts: () => queues().jobCounts() },
    workerProcesses: () => liveness.count(),
    logger: log,
  });
  let server: MetricsServer | undefined;
  const stopServer = async (): Promise<void> => {
    const srv = server;
    server = undefined;
    await srv?.close();
  };

  return {
    metrics,
    liveness,
    keys,
    heartbeat: (isRunning) => createWorkerHeartbeat({ redis: deps.redis, keys, isRunning, logger: log }),
    async readiness() {
      return { workers: await liveness.check() };
    },
    async startServer(opts) {
      if (opts.hasApi) return;
      const srv = createMetricsServer({
        registry: metrics.registry,
        logger: log,
        readiness: async () => {
          const checks: Record<string, ReadyCheck> = {};
          try {
            await deps.redis.ping();
            checks.redis = { ok: true };
          } catch (err) {
            checks.redis = { ok: false, detail: err instanceof Error ? err.message : String(err) };
          }
          if (opts.ownWorkersRunning) {
            checks.workers = opts.ownWorkersRunning() ? { ok: true, detail: 'this process takes jobs' } : { ok: false, detail: 'this process is not taking jobs (stopping?)' };
          }
          return checks;
        },
      });
      try {
        const url = await srv.listen({ host: config.metrics.host, port: config.metrics.port });
        server = srv;
        log.info({ url: `${url}/metrics` }, 'serving /metrics, /healthz and /readyz');
      } catch (err) {
        log.warn(
          { code: 'METRICS_PORT_UNAVAILABLE', err: err instanceof Error ? err.message : String(err), port: config.metrics.port },
          'cannot serve /metrics on METRICS_PORT (taken by another process?); running without it — give each process its own METRICS_PORT, or 0 for any free port',
        );
      }
    },
    stopServer,
    async close() {
      await stopServer();
      await inspector?.close();
      inspector = undefined;
    },
  };
}
