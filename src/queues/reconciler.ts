/**
 * The reconciler: "a request is never lost". The producer writes the records (one MULTI) and only then adds the
 * first-stage jobs; a stage writes the record's next stage and only then adds that stage's job. A process that
 * dies (or a Redis connection that drops) between the two leaves a record that no job will ever move. Every
 * `workflow.reconcileIntervalMs`, one workers process (a `SET NX PX` sweep lock, so many processes do not
 * sweep the same interval) looks at the `queued` and `running` records created more than
 * `workflow.reconcileAfterMs` ago, and for each one not changed for that long either, at the job of its current
 * stage (deterministic id `att_….<stage>`):
 * - waiting / delayed / active / prioritized / waiting-children / paused → fine, nothing done;
 * - missing → the stage job is added again;
 * - completed (yet the record still sits at that stage) → the stale job is removed and the stage added again;
 * - failed for good (and the failure net never ran) → the attachment fails as the failure net would.
 * The record is read again right before acting, so a record that moved meanwhile is left alone. Adding is
 * idempotent (deterministic job ids) and every stage is safe to run twice (find-before-create under locks, a
 * deterministic port name, attach checks first; docs/workflow.md), so a repair never duplicates a cloud resource.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import { isTerminalStatus } from '../workflow/record-store.js';
import type { AttachmentRecord, AttachmentStatus } from '../workflow/types.js';
import { failAttachmentOfFailedJob } from './failure-net.js';
import { stageJobId } from './names.js';
import type { WorkerRuntime } from './worker-runtime.js';

export interface ReconcileReport {
  /** False when another process holds this interval's sweep lock (nothing was looked at). */
  swept: boolean;
  /** Records looked at (old enough and not terminal). */
  checked: number;
  /** Stage jobs added for records that had none. */
  added: number;
  /** Stale completed jobs replaced. */
  replaced: number;
  /** Attachments failed because their job had failed for good. */
  failed: number;
}

export interface Reconciler {
  /** One sweep now; `force` skips the sweep lock (tests, operators). */
  sweep(opts?: { force?: boolean }): Promise<ReconcileReport>;
  /** Sweep every reconcileIntervalMs until stop(). */
  start(): void;
  /** Stop sweeping; waits (briefly) for a sweep in progress. */
  stop(): Promise<void>;
}

type ReconcilerRuntime = Pick<WorkerRuntime, 'config' | 'logger' | 'connection' | 'keys' | 'store' | 'queues' | 'leases' | 'clock'>;

/** Job states in which the job will still run (or is running). */
const LIVE_STATES: ReadonlySet<string> = new Set(['waiting', 'wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);
const SWEPT_STATUSES: readonly AttachmentStatus[] = ['queued', 'running'];
const PAGE = 200;
/** Longest stop() waits for a sweep in progress (a sweep stuck on a Redis outage is left behind). */
const STOP_WAIT_MS = 2_000;

export function createReconciler(rt: ReconcilerRuntime): Reconciler {
  const { intervalMs, afterMs } = { intervalMs: rt.config.workflow.reconcileIntervalMs, afterMs: rt.config.workflow.reconcileAfterMs };
  const redis: Redis = rt.connection;
  const log: Logger = rt.logger.child({ component: 'reconciler' });
  const lockKey = rt.keys.custom('reconcile', 'lock');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<unknown> | undefined;

  const isStuck = (r: AttachmentRecord | null, now: number): r is AttachmentRecord =>
    r !== null && !isTerminalStatus(r.status) && now - Date.parse(r.updated_at) >= afterMs;

  /** Looks at one record's stage job; returns what it did. */
  const check = async (record: AttachmentRecord): Promise<'ok' | 'added' | 'replaced' | 'failed' | 'moved'> => {
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
  };

  const sweepStatus = async (status: AttachmentStatus, report: ReconcileReport): Promise<void> => {
    const index = rt.keys.byStatus(status);
    const cutoff = rt.clock.now() - afterMs;
    // Offset paging over the ids created before the cutoff, oldest first. Records leaving the index meanwhile
    // shift the window, so a few may be skipped: the next sweep sees them.
    for (let offset = 0; !stopped; ) {
      const ids = await redis.zrangebyscore(index, '-inf', cutoff, 'LIMIT', offset, PAGE);
      if (ids.length === 0) return;
      offset += ids.length;
      const now = rt.clock.now();
      const records = (await rt.store.getMany(ids)).filter((r) => isStuck(r, now));
      report.checked += records.length;
      const results = await Promise.all(
        records.map((r) =>
          check(r).catch((err: unknown) => {
            log.warn({ attachment_id: r.id, err: err instanceof Error ? err.message : String(err) }, 'reconciler: could not check an attachment');
            return 'ok' as const;
          }),
        ),
      );
      for (const res of results) {
        if (res === 'added') report.added += 1;
        else if (res === 'replaced') report.replaced += 1;
        else if (res === 'failed') report.failed += 1;
      }
      if (ids.length < PAGE) return;
    }
  };

  const sweep = async (opts: { force?: boolean } = {}): Promise<ReconcileReport> => {
    const report: ReconcileReport = { swept: false, checked: 0, added: 0, replaced: 0, failed: 0 };
    if (!opts.force) {
      // Not released: it expires just before the next interval, so one process sweeps per interval.
      const taken = await redis.set(lockKey, randomUUID(), 'PX', Math.max(1, Math.floor(intervalMs * 0.9)), 'NX');
      if (taken !== 'OK') return report;
    }
    report.swept = true;
    for (const status of SWEPT_STATUSES) await sweepStatus(status, report);
    const repaired = report.added + report.replaced + report.failed;
    if (repaired > 0) log.info({ ...report }, `reconciler repaired ${repaired} attachment(s)`);
    else log.debug({ ...report }, 'reconciler: nothing to repair');
    return report;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      const run = sweep()
        .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err), code: 'RECONCILE_FAILED' }, 'reconciler sweep failed; next one in an interval'))
        .finally(() => {
          inflight = undefined;
          schedule();
        });
      inflight = run;
    }, intervalMs);
    // Never what keeps a process alive.
    timer.unref();
  };

  return {
    sweep,
    start() {
      stopped = false;
      if (!timer) schedule();
      log.debug({ interval_ms: intervalMs, after_ms: afterMs }, 'reconciler started');
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (inflight) {
        const bound = new AbortController();
        await Promise.race([inflight, delay(STOP_WAIT_MS, undefined, { signal: bound.signal }).catch(() => undefined)]);
        bound.abort();
      }
    },
  };
}
