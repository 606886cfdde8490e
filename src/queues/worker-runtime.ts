/**
 * What every workflow worker shares (built once per process by ./workers.ts or a test), and the BullMQ
 * worker options derived from config.
 */
import type { WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CallMeta, CloudClient } from '../cloud/client.js';
import type { Config } from '../config/types.js';
import { backoffDelay } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { JobDurations, Leases, Locks, StageDeps } from '../workflow/deps.js';
import { instrumentClient } from '../workflow/instrumented-client.js';
import type { Keys } from '../workflow/keys.js';
import type { AttachmentStore } from '../workflow/record-store.js';
import type { SubnetReads } from '../workflow/stages/subnet-reads.js';
import type { SubnetUsers } from '../workflow/subnet-users.js';
import type { CloudRateLimiter } from './rate-limiter.js';
import type { StageQueues, WorkflowQueueName } from './stage-queues.js';

/**
 * Optional observers of what the workers do (the app's metrics plug in here; this layer knows no prom-client).
 * Called after the fact, synchronously; an observer that throws is ignored, never failing a stage.
 */
export interface WorkflowHooks {
  /** Every HTTP attempt of this process's cloud client. */
  onCloudCall?(meta: CallMeta): void;
  /** A stage ended (handed on, or ended the attachment): its wall time from start to end, waits included. */
  onStageEnd?(e: { stage: string; outcome: 'next' | 'succeeded' | 'failed'; durationMs: number }): void;
  /** This process made an attachment's terminal transition. */
  onAttachmentEnd?(e: { status: 'succeeded' | 'failed'; pollCount: number | undefined; errorCode: string | undefined }): void;
}

export interface WorkerRuntime {
  config: Config;
  logger: Logger;
  /** Worker connection (maxRetriesPerRequest: null); BullMQ duplicates it for its blocking reads. */
  connection: Redis;
  keys: Keys;
  store: AttachmentStore;
  queues: StageQueues;
  /** The process's cloud client; its beforeCall is the shared rate limiter. */
  cloud: CloudClient;
  rateLimiter: CloudRateLimiter;
  locks: Locks;
  leases: Leases;
  jobDurations: JobDurations;
  /** ShowSubnet answers shared by this process's subnet stages. */
  subnetReads: SubnetReads;
  /** The live attachments of each subnet (cleanup does not delete a subnet from under them). */
  subnetUsers: SubnetUsers;
  clock: Clock;
  hooks?: WorkflowHooks;
}

/**
 * Manual rate limiting (queue.rateLimit + RateLimitError on a 429) is only honoured by workers that have a
 * limiter; this one never limits by itself (a million jobs a second).
 */
const NO_OP_LIMITER = { max: 1_000_000, duration: 1_000 };

export function workerOptions(rt: Pick<WorkerRuntime, 'config' | 'connection'>, queue: WorkflowQueueName): WorkerOptions {
  const { workflow, workers, redis } = rt.config;
  return {
    connection: rt.connection,
    prefix: redis.prefix,
    concurrency: workers.concurrency[queue],
    lockDuration: workers.lockDurationMs,
    stalledInterval: workers.stalledIntervalMs,
    maxStalledCount: workers.maxStalledCount,
    limiter: NO_OP_LIMITER,
    removeOnComplete: { age: 3_600, count: 1_000 },
    removeOnFail: { age: 7 * 86_400, count: 10_000 },
    settings: {
      backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, { baseMs: workflow.backoffBaseMs, maxMs: workflow.backoffMaxMs, jitter: 0.5 }),
    },
  };
}

/** The dependencies of one stage or cleanup run: the runtime's, with a cloud client counting this run's calls. */
export function stageDepsFor(rt: WorkerRuntime, onCall: (meta: CallMeta) => void, logger: Logger): StageDeps {
  return {
    cloud: instrumentClient(rt.cloud, onCall),
    store: rt.store,
    keys: rt.keys,
    locks: rt.locks,
    leases: rt.leases,
    jobDurations: rt.jobDurations,
    subnetReads: rt.subnetReads,
    subnetUsers: rt.subnetUsers,
    clock: rt.clock,
    logger,
    settings: rt.config.workflow,
  };
}
