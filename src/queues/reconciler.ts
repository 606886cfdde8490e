/**
 * The reconciler: "a request is never lost", and neither is its cleanup. Two writes that belong together are
 * never atomic here: the producer writes the records (one MULTI) and only then adds the first-stage jobs; a
 * stage writes the record's next stage and only then adds that stage's job; an attachment's terminal
 * transition to `failed`/`cancelled` (store.finish / store.cancel) comes before its cleanup job is added. A
 * process that dies (or a Redis connection that drops) between the two leaves a record that no job will ever
 * move — or a port this attachment created that nothing will ever delete. Every
 * `workflow.reconcileIntervalMs`, one workers process (a `SET NX PX` sweep lock, so many processes do not
 * sweep the same interval) sweeps two kinds of record (./reconcile-checks.ts does the repairs):
 * 1. `queued` and `running` records created more than `workflow.reconcileAfterMs` ago and not changed for that
 *    long either: the job of the current stage (deterministic id `att_….<stage>`) is looked at —
 *    - waiting / delayed / active / prioritized / waiting-children / paused → fine, nothing done;
 *    - missing → the stage job is added again;
 *    - completed (yet the record still sits at that stage) → the stale job is removed and the stage added again;
 *    - failed for good (and the failure net never ran) → the attachment fails as the failure net would.
 * 2. `failed` and `cancelled` records created within the last CLEANUP_WINDOW_MS (24 h, or the record retention
 *    when shorter: an attachment runs far shorter than that, so the sweep stays bounded however long records
 *    are kept) that ended more than `reconcileAfterMs` ago, whose cleanup is missing or still `pending`: the
 *    cleanup job (`att_….cleanup`) is looked at — live → fine; missing → added again; completed/failed while
 *    the record's cleanup is not done → the stale job is removed and the cleanup added again. A cleanup that is
 *    `done` or gave up (`failed`: logged and visible in the record, an operator matter) is never touched.
 * The record is read again right before acting, so a record that moved meanwhile is left alone. Adding is
 * idempotent (deterministic job ids) and every stage and the cleanup are safe to run twice (find-before-create
 * under locks, a deterministic port name, attach checks first, cleanup checks before deleting and returns at
 * once when its record says done; docs/workflow.md), so a repair never duplicates a cloud resource.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import type { AttachmentRecord, AttachmentStatus } from '../workflow/types.js';
import { checkCleanupJob, checkStageJob, isStuck, lacksCleanup, type CleanupCheckResult, type StageCheckResult } from './reconcile-checks.js';
import type { WorkerRuntime } from './worker-runtime.js';

export interface ReconcileReport {
  /** False when another process holds this interval's sweep lock (nothing was looked at). */
  swept: boolean;
  /** Queued/running records looked at (old enough, not changed for that long). */
  checked: number;
  /** Stage jobs added for records that had none. */
  added: number;
  /** Stale completed stage jobs replaced. */
  replaced: number;
  /** Attachments failed because their job had failed for good. */
  failed: number;
  /** Failed/cancelled records looked at (ended long enough ago, cleanup missing or pending). */
  cleanupsChecked: number;
  /** Cleanup jobs added again (missing, or a stale completed/failed one replaced). */
  cleanupsAdded: number;
  /** Cleanups marked failed because their job kept failing without a result (MAX_CLEANUP_REQUEUES). */
  cleanupsGivenUp: number;
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

type CheckResult = StageCheckResult | CleanupCheckResult;

/** One kind of record the sweep looks at: which index, which records in it, and the repair of one. */
interface SweepPass {
  statuses: readonly AttachmentStatus[];
  /** Oldest creation time (index score) looked at, epoch ms. */
  from(now: number): number;
  select(r: AttachmentRecord | null, now: number): r is AttachmentRecord;
  check(r: AttachmentRecord): Promise<CheckResult>;
  /** Counts one record looked at, and what its check did (undefined: the check threw), into the report. */
  count(report: ReconcileReport, result: CheckResult | undefined): void;
}

/** How far back (by creation time) failed/cancelled records are looked at for a lost cleanup. */
export const CLEANUP_WINDOW_MS = 86_400_000;
const PAGE = 200;
/** Longest stop() waits for a sweep in progress (a sweep stuck on a Redis outage is left behind). */
const STOP_WAIT_MS = 2_000;

export function createReconciler(rt: ReconcilerRuntime): Reconciler {
  const { intervalMs, afterMs } = { intervalMs: rt.config.workflow.reconcileIntervalMs, afterMs: rt.config.workflow.reconcileAfterMs };
  const cleanupWindowMs = Math.min(CLEANUP_WINDOW_MS, rt.config.workflow.recordRetentionDays * 86_400_000);
  const redis: Redis = rt.connection;
  const log: Logger = rt.logger.child({ component: 'reconciler' });
  const lockKey = rt.keys.custom('reconcile', 'lock');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<unknown> | undefined;

  const passes: readonly SweepPass[] = [
    {
      statuses: ['queued', 'running'],
      from: () => -Infinity,
      select: (r, now): r is AttachmentRecord => isStuck(r, now, afterMs),
      check: (r) => checkStageJob(rt, r, log),
      count(report, result) {
        report.checked += 1;
        if (result === 'added') report.added += 1;
        else if (result === 'replaced') report.replaced += 1;
        else if (result === 'failed') report.failed += 1;
      },
    },
    {
      statuses: ['failed', 'cancelled'],
      from: (now) => now - cleanupWindowMs,
      select: (r, now): r is AttachmentRecord => lacksCleanup(r, now, afterMs),
      check: (r) => checkCleanupJob(rt, r, log),
      count(report, result) {
        report.cleanupsChecked += 1;
        if (result === 'added' || result === 'replaced') report.cleanupsAdded += 1;
        else if (result === 'gave-up') report.cleanupsGivenUp += 1;
      },
    },
  ];

  const sweepIndex = async (pass: SweepPass, status: AttachmentStatus, report: ReconcileReport): Promise<void> => {
    const index = rt.keys.byStatus(status);
    const start = rt.clock.now();
    const [min, max] = [pass.from(start), start - afterMs];
    // Offset paging over the ids created in [min, max], oldest first. Records leaving the index meanwhile
    // shift the window, so a few may be skipped: the next sweep sees them.
    for (let offset = 0; !stopped; ) {
      const ids = await redis.zrangebyscore(index, Number.isFinite(min) ? min : '-inf', max, 'LIMIT', offset, PAGE);
      if (ids.length === 0) return;
      offset += ids.length;
      const now = rt.clock.now();
      const records = (await rt.store.getMany(ids)).filter((r) => pass.select(r, now));
      const results = await Promise.all(
        records.map((r) =>
          pass.check(r).catch((err: unknown) => {
            log.warn({ attachment_id: r.id, err: err instanceof Error ? err.message : String(err) }, 'reconciler: could not check an attachment');
            return undefined;
          }),
        ),
      );
      for (const res of results) pass.count(report, res);
      if (ids.length < PAGE) return;
    }
  };

  const sweep = async (opts: { force?: boolean } = {}): Promise<ReconcileReport> => {
    const report: ReconcileReport = { swept: false, checked: 0, added: 0, replaced: 0, failed: 0, cleanupsChecked: 0, cleanupsAdded: 0, cleanupsGivenUp: 0 };
    if (!opts.force) {
      // Not released: it expires just before the next interval, so one process sweeps per interval.
      const taken = await redis.set(lockKey, randomUUID(), 'PX', Math.max(1, Math.floor(intervalMs * 0.9)), 'NX');
      if (taken !== 'OK') return report;
    }
    report.swept = true;
    for (const pass of passes) for (const status of pass.statuses) await sweepIndex(pass, status, report);
    const repaired = report.added + report.replaced + report.failed + report.cleanupsAdded;
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
