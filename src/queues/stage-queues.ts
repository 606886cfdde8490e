/**
 * The BullMQ queues of the workflow (one per stage, plus cleanup) and the internal enqueue helpers. Job data
 * is `{ attachment_id }` only; job ids are deterministic (./names.ts), so enqueueing a stage twice is a no-op
 * while its job exists.
 */
import type { JobsOptions, Queue } from 'bullmq';
import { SharedConnectionQueue } from './shared-connection.js';
import type { Redis } from 'ioredis';
import type { Config } from '../config/types.js';
import type { AttachmentRecord, StageName } from '../workflow/types.js';
import { CLEANUP_QUEUE, cleanupJobId, STAGE_QUEUES, stageJobId, type StageJobData } from './names.js';

export type WorkflowQueueName = StageName | typeof CLEANUP_QUEUE;
export const WORKFLOW_QUEUES: readonly WorkflowQueueName[] = [...STAGE_QUEUES, CLEANUP_QUEUE];
export const BACKOFF_TYPE = 'jitter';

export interface StageQueues {
  readonly queues: Readonly<Record<WorkflowQueueName, Queue<StageJobData>>>;
  /** Adds the first stage (network) of each record's attachment, in one round trip. */
  enqueueAttachments(records: ReadonlyArray<Pick<AttachmentRecord, 'id'>>): Promise<void>;
  enqueueStage(stage: StageName, attachmentId: string, delayMs?: number): Promise<void>;
  enqueueCleanup(attachmentId: string, delayMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Job options of every workflow job: attempts and jittered backoff from config, trimmed when finished. */
export function defaultJobOptions(config: Pick<Config, 'workflow'>): JobsOptions {
  return {
    attempts: config.workflow.stageAttempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: 3_600, count: 1_000 },
    removeOnFail: { age: 7 * 86_400, count: 10_000 },
  };
}

export function createStageQueues(config: Pick<Config, 'workflow' | 'redis'>, deps: { connection: Redis }): StageQueues {
  const jobOpts = defaultJobOptions(config);
  const queues = Object.fromEntries(
    WORKFLOW_QUEUES.map((name) => [
      name,
      new SharedConnectionQueue<StageJobData>(name, { connection: deps.connection, prefix: config.redis.prefix, defaultJobOptions: jobOpts }),
    ]),
  ) as Record<WorkflowQueueName, Queue<StageJobData>>;
  // Absorb the 'error' events BullMQ re-emits from the connection: with no listener the emit throws and becomes
  // an unhandled rejection. Failures surface on the calls; callers that want them logged add their own listener.
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  const delayOpt = (delayMs: number | undefined): JobsOptions => (delayMs && delayMs > 0 ? { delay: Math.round(delayMs) } : {});
  return {
    queues,
    async enqueueAttachments(records) {
      if (records.length === 0) return;
      await queues.network.addBulk(
        records.map((r) => ({ name: 'network', data: { attachment_id: r.id }, opts: { ...jobOpts, jobId: stageJobId(r.id, 'network') } })),
      );
    },
    async enqueueStage(stage, attachmentId, delayMs) {
      await queues[stage].add(stage, { attachment_id: attachmentId }, { jobId: stageJobId(attachmentId, stage), ...delayOpt(delayMs) });
    },
    async enqueueCleanup(attachmentId, delayMs) {
      await queues.cleanup.add(CLEANUP_QUEUE, { attachment_id: attachmentId }, { jobId: cleanupJobId(attachmentId), ...delayOpt(delayMs) });
    },
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
