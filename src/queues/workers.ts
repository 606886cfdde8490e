/**
 * startWorkflowWorkers(config, deps): one process's workflow workers — a worker per stage queue plus cleanup —
 * sharing one worker connection, the record store, the queues, the shared cloud rate limiter (plugged into
 * the cloud client's beforeCall, and paused by its onThrottled on every 429), locks and leases, the subnet users, and the reconciler (./reconciler.ts) that re-adds the job of
 * a record left without one. Any number of processes can run this on the same Redis.
 *
 * close(): stop the reconciler, stop taking jobs and let running stages finish (worker.close()), bounded by
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
import { createAttachmentStore, storeSettingsFromConfig } from '../workflow/record-store.js';
import { createSubnetReads } from '../workflow/stages/subnet-reads.js';
import { createSubnetUsers } from '../workflow/subnet-users.js';
import { STAGES } from '../workflow/types.js';
import { createCleanupWorker } from './cleanup-worker.js';
import { coalesceWritesPerTick } from './coalesce-writes.js';
import { createRedisConnection } from './connections.js';
import { installFailureNet } from './failure-net.js';
import { createRedisLeases, createRedisLocks } from './locks.js';
import type { StageJobData } from './names.js';
import { createCloudRateLimiter } from './rate-limiter.js';
import { catchUpFirstPolls } from './poll-catch-up.js';
import { createReconciler, type Reconciler } from './reconciler.js';
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
  /** Repairs records left without a job (./reconciler.ts); started with the workers, stopped by close(). */
  readonly reconciler: Reconciler;
  /** Resolves once every worker is connected and taking jobs. */
  waitUntilReady(): Promise<void>;
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

export function startWorkflowWorkers(config: Config, deps: WorkflowWorkersDeps): WorkflowWorkers {
  const logger = deps.logger.child({ role: 'workers' });
  const ownsConnection = deps.connection === undefined;
  const connection = deps.connection ?? createRedisConnection(config.redis.url, 'worker', { name: `${config.redis.prefix}:worker` });
  if (ownsConnection) {
    connection.on('error', (err) => logger.warn({ err: err.message, code: 'REDIS_UNAVAILABLE' }, 'worker Redis connection error'));
    // One socket write per tick for all the process's commands (./coalesce-writes.ts); a connection handed in is left as it is.
    coalesceWritesPerTick(connection);
  }
  const clock = deps.clock ?? systemClock;
  const keys = createKeys(config.redis.prefix);
  const rateLimiter = createCloudRateLimiter({ key: keys.rateLimit(deps.cloudOptions.projectId), rps: config.cloud.rateLimitRps }, { redis: connection });
  const onCloudCall = deps.hooks?.onCloudCall;
  const cloud = createCloudClient(deps.cloudOptions, {
    logger,
    clock,
    beforeCall: () => rateLimiter.take(),
    // Every throttled answer pauses the project's shared limit for Retry-After, whichever call got it (a GET
    // too); the client then lets the error go up, and the stage worker pauses its queue (./stage-worker.ts).
    onThrottled: (retryAfterMs) => rateLimiter.pauseFor(retryAfterMs),
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
  // The poll schedule's first lesson brings forward the first polls planned on its cold guess (./poll-catch-up.ts).
  const catchUp = (): void => {
    void catchUpFirstPolls({ queue: runtime.queues.queues.poll, jobDurations: runtime.jobDurations, settings: config.workflow, clock, logger }).catch((err: unknown) =>
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'bringing forward the first polls failed; they run as planned'),
    );
  };
  const runtime: WorkerRuntime = {
    config,
    logger,
    connection,
    keys,
    store: createAttachmentStore(
      storeSettingsFromConfig(config),
      { redis: connection, keys, clock },
    ),
    queues: createStageQueues(config, { connection }),
    cloud,
    rateLimiter,
    locks: createRedisLocks(connection),
    leases: createRedisLeases(connection),
    jobDurations: createJobDurations({ key: keys.jobDurations(), onLearned: () => catchUp() }, { redis: connection, clock }),
    subnetReads: createSubnetReads({ clock }),
    subnetUsers: createSubnetUsers({ track: config.workflow.cleanupDeleteNetworks }, { redis: connection, keys }),
    clock,
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
  };
  for (const q of Object.values(runtime.queues.queues)) q.on('error', (err) => logger.warn({ err: err.message }, 'queue error'));

  const workers: Array<Worker<StageJobData>> = [...STAGES.map((stage) => createStageWorker(stage, runtime)), createCleanupWorker(runtime)];
  for (const w of workers) {
    w.on('error', (err) => logger.warn({ queue: w.name, err: err.message }, 'worker error'));
    installFailureNet(w, w.name, runtime);
  }
  // Re-adds the job of a record left without one (a crash between a record write and its job add).
  const reconciler = createReconciler(runtime);
  reconciler.start();
  logger.info({ queues: workers.map((w) => w.name), prefix: config.redis.prefix }, 'workflow workers started');

  let closing: Promise<void> | undefined;
  return {
    runtime,
    workers,
    reconciler,
    async waitUntilReady() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    close(opts = {}) {
      closing ??= (async () => {
        await reconciler.stop();
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
