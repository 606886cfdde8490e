/**
 * What the reconciler (./reconciler.ts) does with one record it found: which records it looks at, and the
 * repair of each kind.
 * - A queued/running record whose stage job is not live: the stage job is added again (a stale completed one
 *   removed first), or, when that job failed for good, the attachment fails as the failure net would.
 * - A failed/cancelled record whose cleanup is missing or still pending and whose cleanup job is not live
 *   (the process died between the terminal transition and adding the cleanup job, or the cleanup job stalled
 *   out): the cleanup job is added again (a stale completed/failed one removed first). A cleanup job that
 *   failed without writing a result is re-added at most MAX_CLEANUP_REQUEUES times (counted in
 *   record.cleanup.requeued); after that the cleanup is marked failed (CLEANUP_JOB_FAILED) instead of being
 *   retried every sweep for a day — a job that keeps stalling (it crashes its worker) needs an operator.
 *   A cleanup that is `done`, or that gave up (`failed`: logged and visible in the record, an operator
 *   matter), is never touched.
 * Each repair reads the record again right before acting, so a record that moved on meanwhile is left alone;
 * adds are idempotent (deterministic job ids) and stages and cleanup are safe to run twice.
 */
import type { Logger } from '../lib/logger.js';
import { isTerminalStatus } from '../workflow/record-store.js';
import type { AttachmentRecord } from '../workflow/types.js';
import { failAttachmentOfFailedJob } from './failure-net.js';
import { cleanupJobId, stageJobId } from './names.js';
import type { WorkerRuntime } from './worker-runtime.js';

export type CheckRuntime = Pick<WorkerRuntime, 'store' | 'queues' | 'leases' | 'keys' | 'logger' | 'clock'>;
export type StageCheckResult = 'ok' | 'added' | 'replaced' | 'failed' | 'moved';
export type CleanupCheckResult = 'ok' | 'added' | 'replaced' | 'moved' | 'gave-up';

/** Re-adds of a cleanup job that failed without a result before the cleanup is marked failed. */
export const MAX_CLEANUP_REQUEUES = 3;

/** Job states in which the job will still run (or is running). */
const LIVE_STATES: ReadonlySet<string> = new Set(['waiting', 'wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);

/** A non-terminal record not changed for afterMs: its stage job is looked at. */
export function isStuck(r: AttachmentRecord | null, now: number, afterMs: number): r is AttachmentRecord {
  return r !== null && !isTerminalStatus(r.status) && now - Date.parse(r.updated_at) >= afterMs;
}

/** A failed/cancelled record whose cleanup has not finished (missing or pending). */
function cleanupOutstanding(r: AttachmentRecord): boolean {
  return (r.status === 'failed' || r.status === 'cancelled') && (r.cleanup === undefined || r.cleanup.status === 'pending');
}

/**
 * A failed/cancelled record that ended at least afterMs ago (so the process that ended it had all the time it
 * needs to add the cleanup job) and whose cleanup has not finished: its cleanup job is looked at.
 */
export function lacksCleanup(r: AttachmentRecord | null, now: number, afterMs: number): r is AttachmentRecord {
  if (r === null || !cleanupOutstanding(r)) return false;
  const ended = Date.parse(r.finished_at ?? r.updated_at);
  return Number.isFinite(ended) && now - ended >= afterMs;
}

/** Looks at one stuck record's stage job (deterministic id `att_….<stage>`) and repairs what is missing. */
export async function checkStageJob(rt: CheckRuntime, record: AttachmentRecord, log: Logger): Promise<StageCheckResult> {
  const stage = record.stage;
  const queue = rt.queues.queues[stage];
  const jobId = stageJobId(record.id, stage);
  const state = await queue.getJobState(jobId);
  if (LIVE_STATES.has(state)) return 'ok';
  // Read again: a worker may have moved the record on (and added the next job) while we looked.
  const current = await rt.store.get(record.id);
  if (!current || isTerminalStatus(current.status) || current.stage !== stage) return 'moved';
  const fields = { attachment_id: record.id, stage, status: current.status, job_state: state, since: current.updated_at };
  if (state === 'failed') {
    const job = await queue.getJob(jobId);
    const reason = job?.failedReason || `its ${stage} job failed`;
    const ended = await failAttachmentOfFailedJob(rt, record.id, stage, reason);
    if (ended) log.warn(fields, 'reconciler: the stage job had failed for good; attachment failed');
    return ended ? 'failed' : 'moved';
  }
  if (state === 'completed') {
    // A finished job with this id would turn the add into a no-op: remove it first.
    await queue.remove(jobId);
  }
  await rt.queues.enqueueStage(stage, record.id);
  log.warn(fields, `reconciler: ${current.status} attachment had no ${stage} job; added it again`);
  return state === 'completed' ? 'replaced' : 'added';
}

/** Looks at the cleanup job (`att_….cleanup`) of a record that lacks its cleanup and adds it again if it is not live. */
export async function checkCleanupJob(rt: CheckRuntime, record: AttachmentRecord, log: Logger): Promise<CleanupCheckResult> {
  const queue = rt.queues.queues.cleanup;
  const jobId = cleanupJobId(record.id);
  const state = await queue.getJobState(jobId);
  if (LIVE_STATES.has(state)) return 'ok';
  // Read again: the cleanup may have finished (done, or given up) while we looked.
  const current = await rt.store.get(record.id);
  if (!current || !cleanupOutstanding(current)) return 'moved';
  const stale = state === 'completed' || state === 'failed';
  const fields = { attachment_id: record.id, status: current.status, cleanup_status: current.cleanup?.status ?? 'missing', job_state: state, since: current.finished_at };
  if (state === 'failed') {
    const requeued = current.cleanup?.requeued ?? 0;
    const job = await queue.getJob(jobId);
    const reason = job?.failedReason || 'no reason recorded';
    if (requeued >= MAX_CLEANUP_REQUEUES) {
      const error = `CLEANUP_JOB_FAILED: the cleanup job failed without a result ${requeued + 1} times (last: ${reason})`;
      await rt.store.setCleanup(record.id, { ...(current.cleanup ?? {}), status: 'failed', error, finished_at: new Date(rt.clock.now()).toISOString() });
      log.error({ ...fields, requeued }, `reconciler: ${error}; cleanup marked failed`);
      return 'gave-up';
    }
    // Counted before the add, so the new job's own progress writes (which start from record.cleanup) keep it.
    await rt.store.setCleanup(record.id, { ...(current.cleanup ?? {}), status: 'pending', requeued: requeued + 1 });
  }
  // A finished job with this id would turn the add into a no-op: remove it first (the record says the cleanup
  // is not done, so that job did not finish it: it stalled out, or ended without writing its result).
  if (stale) await queue.remove(jobId);
  await rt.queues.enqueueCleanup(record.id);
  log.warn(fields, `reconciler: ${current.status} attachment had no live cleanup job; added it again`);
  return stale ? 'replaced' : 'added';
}
