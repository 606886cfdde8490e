/**
 * startWorkflowWorkers(config, deps): one process's workflow workers — a worker per stage queue plus cleanup —
 * sharing one worker connection, the record store, the queues, the shared cloud rate limiter (plugged into
 * the cloud client's beforeCall), locks and leases. Any number of processes can run this on the same Redis.
 *
 * close(): stop taking jobs and let running stages finish (worker.close()), bounded by
 * config.workers.shutdownTimeoutMs — then force-close (a stage cut short comes back through BullMQ's
 * stalled-job recovery in another process); then the queues, the cloud client and the connection.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createCloudClient } from '../cloud/create-client.js';
import type { CallMeta, CloudClientDeps, CloudClientOptions } from '../cloud/client.js';
import type { Config } from '../config/types.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import { createJobDurations } from '../workflow/job-durations.js';
import { createKeys } from '../workflow/keys.js';
import { createAttachmentStore, isTerminalStatus } from '../workflow/record-store.js';
import { STAGES } from '../workflow/types.js';
import { createCleanupWorker } from './cleanup-worker.js';
import { createRedisConnection } from './connections.js';
import { createRedisLeases, createRedisLocks } from './locks.js';
import type { StageJobData } from './names.js';
import { createCloudRateLimiter } from './rate-limiter.js';
import { createStageQueues } from './stage-queues.js';
import { createStageWorker } from './stage-worker.js';
import type { WorkerRuntime, WorkflowHooks } from './worker-runtime.js';

export interface WorkflowWorkersDeps {
  logger: Logger;
  /** Where the cloud (or the emulator) is. */
  cloudOptions: CloudClientOptions;
  /** A worker connection to share (not closed by close()); one is opened from config.redis.url otherwise. */
  connection?: Redis;
  clock?: Clock;
  /** The cloud client's fetch (tests inject lost answers here). */
  fetch?: CloudClientDeps['fetch'];
  /** Observers (metrics): cloud calls, stage ends, terminal transitions. */
  hooks?: WorkflowHooks;
}

export interface WorkflowWorkers {
  readonly runtime: WorkerRuntime;
  readonly workers: ReadonlyArray<Worker<StageJobData>>;
  /** Resolves once every worker is connected and taking jobs. */
  waitUntilReady(): Promise<void>;
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

/**
 * A job that BullMQ failed for good without this service having ended its attachment (it stalled more than
 * maxStalledCount times, or failed outside the processor): end the attachment as failed, with cleanup.
 */
function failureNet(worker: Worker<StageJobData>, queue: string, rt: WorkerRuntime): void {
  worker.on('failed', (job, err) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return; // a retry is scheduled
      const record = await rt.store.get(job.data.attachment_id);
      if (!record || isTerminalStatus(record.status)) return;
      const code = /stalled/i.test(err.message) ? 'STAGE_STALLED' : 'STAGE_RETRIES_EXHAUSTED';
      const ended = await rt.store.finish(record.id, {
        status: 'failed',
        fields: { error: { code, message: err.message, stage: record.stage, retryable: false } },
      });
      if (ended) {
        await rt.leases.release(rt.keys.serverLease(record.server_id), record.id);
        await rt.queues.enqueueCleanup(record.id);
        rt.logger.warn({ attachment_id: record.id, stage: queue, error_code: code }, `attachment failed: its ${queue} job failed for good (${err.message})`);
      }
    })().catch((e: unknown) => rt.logger.error({ err: e, stage: queue }, 'could not end the attachment of a failed job'));
  });
}

export function startWorkflowWorkers(config: Config, deps: WorkflowWorkersDeps): WorkflowWorkers {
  const logger = deps.logger.child({ role: 'workers' });
  const ownsConnection = deps.connection === undefined;
  const connection = deps.connection ?? createRedisConnection(config.redis.url, 'worker', { name: `${config.redis.prefix}:worker` });
  if (ownsConnection) connection.on('error', (err) => logger.warn({ err: err.message, code: 'REDIS_UNAVAILABLE' }, 'worker Redis connection error'));
  const clock = deps.clock ?? systemClock;
  const keys = createKeys(config.redis.prefix);
  const rateLimiter = createCloudRateLimiter({ key: keys.rateLimit(deps.cloudOptions.projectId), rps: config.cloud.rateLimitRps }, { redis: connection });
  const onCloudCall = deps.hooks?.onCloudCall;
  const cloud = createCloudClient(deps.cloudOptions, {
    logger,
    clock,
    beforeCall: () => rateLimiter.take(),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(onCloudCall
      ? {
          onCall: (meta: CallMeta) => {
            try {
              onCloudCall(meta);
            } catch {
              // an observer never fails a call
            }
          },
        }
      : {}),
  });
  const runtime: WorkerRuntime = {
    config,
    logger,
    connection,
    keys,
    store: createAttachmentStore(
      { streamMaxLen: config.events.streamMaxLen, recordRetentionDays: config.workflow.recordRetentionDays, stageCompletedEvents: config.events.stageCompleted },
      { redis: connection, keys, clock },
    ),
    queues: createStageQueues(config, { connection }),
    cloud,
    rateLimiter,
    locks: createRedisLocks(connection),
    leases: createRedisLeases(connection),
    jobDurations: createJobDurations({ key: keys.jobDurations() }, { redis: connection, clock }),
    clock,
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
  };
  for (const q of Object.values(runtime.queues.queues)) q.on('error', (err) => logger.warn({ err: err.message }, 'queue error'));

  const workers: Array<Worker<StageJobData>> = [...STAGES.map((stage) => createStageWorker(stage, runtime)), createCleanupWorker(runtime)];
  for (const w of workers) {
    w.on('error', (err) => logger.warn({ queue: w.name, err: err.message }, 'worker error'));
    failureNet(w, w.name, runtime);
  }
  logger.info({ queues: workers.map((w) => w.name), prefix: config.redis.prefix }, 'workflow workers started');

  let closing: Promise<void> | undefined;
  return {
    runtime,
    workers,
    async waitUntilReady() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    close(opts = {}) {
      closing ??= (async () => {
        const timeoutMs = opts.timeoutMs ?? config.workers.shutdownTimeoutMs;
        const graceful = Promise.all(workers.map((w) => w.close())).then(() => true);
        const bound = new AbortController();
        const inTime = await Promise.race([graceful, delay(timeoutMs, false, { signal: bound.signal }).catch(() => false)]);
        bound.abort();
        if (!inTime) {
          logger.warn({ timeout_ms: timeoutMs }, 'running stages did not finish in time; closing workers now (their jobs come back as stalled)');
          await Promise.all(workers.map((w) => w.close(true)));
        }
        await runtime.queues.close();
        cloud.close();
        if (ownsConnection) await connection.quit().catch(() => connection.disconnect());
        logger.info('workflow workers stopped');
      })();
      return closing;
    },
  };
}
