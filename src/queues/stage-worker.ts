/**
 * createStageWorker(stage, deps): the BullMQ worker of one stage. Its processor loads the record, runs the
 * stage function (src/workflow/stages) and applies the outcome:
 * - next      → write the record (stage, fields, timings) and add the next stage's job (deterministic id);
 * - wait      → `job.moveToDelayed(now + delay)` + DelayedError: no attempt burnt, no slot held;
 * - succeeded → THE terminal transition (store.finish), lease released;
 * - failed    → store.finish(failed), lease released, cleanup job added;
 * - errors    → ./error-policy.ts: throttled → shared pause + queue rate limit + RateLimitError; retryable →
 *               BullMQ backoff (on the last attempt the attachment fails with the error's code and the job
 *               gets an UnrecoverableError); terminal → fail the attachment at once, UnrecoverableError.
 * A job whose attachment is already terminal stops quietly (a cancel; cleanup is made sure of); a job whose
 * attachment is further along (a re-run after a crash between "record written" and "job completed") makes
 * sure the job of the record's stage exists and stops. One info line per stage transition.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { SharedConnectionWorker } from './shared-connection.js';
import type { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { isTerminalStatus } from '../workflow/record-store.js';
import { createCallCollector, type CallCollector } from '../workflow/instrumented-client.js';
import { toAttachmentError, type StageOutcome } from '../workflow/outcome.js';
import { runStage, undoUnrecorded } from '../workflow/stages/index.js';
import { STAGES, type AttachmentRecord, type StageName, type StageTiming } from '../workflow/types.js';
import type { StageDeps } from '../workflow/deps.js';
import { decideOnError } from './error-policy.js';
import type { StageJobData } from './names.js';
import { stageDepsFor, workerOptions, type WorkerRuntime } from './worker-runtime.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** One run of a stage: when it started, its cloud calls, its logger and dependencies. */
interface RunContext {
  startedAt: string;
  runStarted: number;
  collector: CallCollector;
  log: Logger;
  deps: StageDeps;
}

/** The record's timing of `stage` once it has ended now. */
function endTiming(record: AttachmentRecord, stage: StageName, startedAt: string, now: number, attempts: number): Partial<Record<StageName, StageTiming>> {
  return {
    ...record.stages,
    [stage]: { started_at: startedAt, finished_at: iso(now), duration_ms: Math.max(0, now - Date.parse(startedAt)), attempts },
  };
}

function transitionLog(collector: CallCollector, runStarted: number, now: number): Record<string, unknown> {
  return {
    duration_ms: now - runStarted,
    cloud_calls: collector.count,
    ...(collector.requestIds.length > 0 ? { request_ids: collector.requestIds } : {}),
    ...(collector.errors.length > 0 ? { call_errors: collector.errors } : {}),
  };
}

export function createStageWorker(stage: StageName, rt: WorkerRuntime): Worker<StageJobData> {
  const { store, queues, clock } = rt;
  const maxAttempts = rt.config.workflow.stageAttempts;

  /** The attachment is over: make sure of cleanup when it was cancelled (the port stage may have made a port). */
  const stopQuietly = async (record: AttachmentRecord, log: Logger): Promise<void> => {
    if (record.status === 'cancelled') await queues.enqueueCleanup(record.id);
    log.debug({ status: record.status }, 'attachment already ended; stage stops');
  };

  /** Tell the observers (metrics) how the stage ended and, when this run ended it, how the attachment did. */
  const observe = (stages: AttachmentRecord['stages'], outcome: 'next' | 'succeeded' | 'failed', end?: { status: 'succeeded' | 'failed'; pollCount: number | undefined; errorCode?: string }): void => {
    const hooks = rt.hooks;
    if (!hooks) return;
    try {
      hooks.onStageEnd?.({ stage, outcome, durationMs: stages[stage]?.duration_ms ?? 0 });
      if (end) hooks.onAttachmentEnd?.({ status: end.status, pollCount: end.pollCount, errorCode: end.errorCode });
    } catch {
      // an observer never fails a stage
    }
  };

  /** `calls`: cloud calls not yet counted into the record (counted in the same script, or after it). */
  const failAttachment = async (record: AttachmentRecord, outcome: { error: AppError; fields?: Partial<AttachmentRecord> }, stages: AttachmentRecord['stages'], calls = 0): Promise<boolean> => {
    const done = await store.finish(record.id, {
      status: 'failed',
      fields: { ...outcome.fields, stage, stages, error: toAttachmentError(outcome.error, stage) },
      addCloudCalls: calls,
      record,
    });
    if (!done) await store.addCloudCalls(record.id, calls);
    await rt.leases.release(rt.keys.serverLease(record.server_id), record.id);
    await queues.enqueueCleanup(record.id);
    return done;
  };

  /**
   * The stage change, then the next stage's job. Both go out back to back without waiting for the first answer
   * (issue 7: one round trip less per stage): they share the worker connection, and the record write is sent
   * first, so Redis applies it before the job exists and the next stage always reads the record it expects.
   * Only a record write that must fall back from EVALSHA to EVAL (NOSCRIPT: the server's script cache is empty,
   * as after a restart) could land after the job; so the first write after the connection is (re)made waits
   * for its answer before the job is added, which loads the script. A job added for a record that turned out
   * to have ended (a cancel that raced this stage; the write then reports it) finds the record ended and
   * stops quietly. Returns the write's answer.
   */
  const writeThenAdd = async (write: () => Promise<boolean>, add: () => Promise<void>): Promise<boolean> => {
    if (!scriptsWarm) {
      const ok = await write();
      scriptsWarm = true;
      if (ok) await add();
      return ok;
    }
    const [ok] = await Promise.all([write(), add()]);
    return ok;
  };
  let scriptsWarm = false;
  rt.connection.on('ready', () => {
    scriptsWarm = false;
  });

  const apply = async (job: Job<StageJobData>, token: string | undefined, record: AttachmentRecord, outcome: StageOutcome, ctx: RunContext): Promise<void> => {
    const now = clock.now();
    const attempts = job.attemptsMade + 1;
    const calls = ctx.collector.count;
    const base = transitionLog(ctx.collector, ctx.runStarted, now);
    switch (outcome.kind) {
      case 'next': {
        const stages = endTiming(record, stage, ctx.startedAt, now, attempts);
        const ok = await writeThenAdd(
          () => store.patch(record.id, { ...outcome.fields, stage: outcome.stage, status: 'running', stages }, { stageCompleted: stage, addCloudCalls: calls }),
          () => queues.enqueueStage(outcome.stage, record.id, outcome.delayMs),
        );
        if (!ok) {
          // The attachment ended meanwhile: undo what nobody will know of (the port stage's new port).
          const undone = await undoUnrecorded(stage, outcome, ctx.deps);
          if (undone) ctx.log.info({ ...base, outcome: 'stopped', reason: undone }, `stage ${stage} stopped: ${undone}`);
          await store.addCloudCalls(record.id, ctx.collector.count);
          const current = await store.get(record.id);
          if (current) await stopQuietly(current, ctx.log);
          return;
        }
        observe(stages, 'next');
        ctx.log.info({ ...base, outcome: 'next', next_stage: outcome.stage, ...(outcome.delayMs ? { delay_ms: outcome.delayMs } : {}) }, `stage ${stage} done → ${outcome.stage}`);
        return;
      }
      case 'wait': {
        // Keep the stage's first start (so its duration includes the waits) and count the calls, in one write.
        const started = record.stages[stage]?.started_at ? {} : { stages: { ...record.stages, [stage]: { ...record.stages[stage], started_at: ctx.startedAt } } };
        const fields = { ...outcome.fields, ...started };
        if (Object.keys(fields).length > 0 || calls > 0) {
          if (!(await store.patch(record.id, fields, { addCloudCalls: calls }))) await store.addCloudCalls(record.id, calls);
        }
        ctx.log.info({ ...base, outcome: 'wait', delay_ms: outcome.delayMs, reason: outcome.reason }, `stage ${stage} waits: ${outcome.reason}`);
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      }
      case 'succeeded': {
        const stages = endTiming(record, stage, ctx.startedAt, now, attempts);
        const ended = await store.finish(record.id, { status: 'succeeded', fields: { ...outcome.fields, stage, stages }, addCloudCalls: calls, record });
        if (!ended) await store.addCloudCalls(record.id, calls);
        await rt.leases.release(rt.keys.serverLease(record.server_id), record.id);
        // Its port now holds the subnet; a failed or cancelled attachment leaves the set in its cleanup.
        if (record.subnet_id) await rt.subnetUsers.remove(record.subnet_id, record.id);
        observe(stages, 'succeeded', ended ? { status: 'succeeded', pollCount: outcome.fields?.poll_count ?? record.poll_count } : undefined);
        ctx.log.info({ ...base, outcome: 'succeeded', nic_id: outcome.fields?.nic_id }, `attachment succeeded at stage ${stage}`);
        return;
      }
      case 'failed': {
        const stages = endTiming(record, stage, ctx.startedAt, now, attempts);
        const ended = await failAttachment(record, outcome, stages, calls);
        const e = toAttachmentError(outcome.error, stage);
        observe(stages, 'failed', ended ? { status: 'failed', pollCount: outcome.fields?.poll_count ?? record.poll_count, errorCode: e.code } : undefined);
        ctx.log.info({ ...base, outcome: 'failed', error_code: e.code, cloud_code: e.cloud_code, reason: e.message }, `attachment failed at stage ${stage}: ${e.code}`);
        return;
      }
      case 'stopped':
        await store.addCloudCalls(record.id, calls);
        ctx.log.info({ ...base, outcome: 'stopped', reason: outcome.reason }, `stage ${stage} stopped: ${outcome.reason}`);
        return;
    }
  };

  const onError = async (job: Job<StageJobData>, record: AttachmentRecord, err: unknown, ctx: RunContext): Promise<never> => {
    const decision = decideOnError(err, job.attemptsMade + 1, job.opts.attempts ?? maxAttempts);
    const base = { ...transitionLog(ctx.collector, ctx.runStarted, clock.now()), error_code: decision.error.code, cloud_code: (decision.error as { cloudCode?: string }).cloudCode };
    if (decision.action === 'throttle') {
      ctx.log.warn({ ...base, outcome: 'throttled', pause_ms: decision.pauseMs }, `stage ${stage} throttled by the cloud; pausing ${decision.pauseMs} ms`);
      // The cloud client has paused the shared limiter already (its onThrottled, ./workers.ts); pausing again
      // is harmless (the later end wins) and covers a runtime whose client has no such hook.
      await rt.rateLimiter.pauseFor(decision.pauseMs);
      await queues.queues[stage].rateLimit(decision.pauseMs);
      throw Worker.RateLimitError();
    }
    if (decision.action === 'retry') {
      // Keep the stage's first start across attempts (the stage start is not written before the run).
      if (!record.stages[stage]?.started_at) await store.patch(record.id, { stages: { ...record.stages, [stage]: { ...record.stages[stage], started_at: ctx.startedAt } } });
      ctx.log.warn({ ...base, outcome: 'retry', reason: decision.error.message }, `stage ${stage} will retry: ${decision.error.code}`);
      throw err;
    }
    const stages = endTiming(record, stage, ctx.startedAt, clock.now(), job.attemptsMade + 1);
    const ended = await failAttachment(record, { error: decision.error }, stages);
    observe(stages, 'failed', ended ? { status: 'failed', pollCount: record.poll_count, errorCode: decision.error.code } : undefined);
    ctx.log.info({ ...base, outcome: 'failed', exhausted: decision.exhausted, reason: decision.error.message }, `attachment failed at stage ${stage}: ${decision.error.code}`);
    throw new UnrecoverableError(`${decision.error.code}: ${decision.error.message}`);
  };

  const processor = async (job: Job<StageJobData>, token?: string): Promise<void> => {
    const runStarted = clock.now();
    const id = job.data.attachment_id;
    const log = rt.logger.child({ attachment_id: id, stage, job_id: job.id, attempt: job.attemptsMade + 1 });
    const record = await store.get(id);
    if (!record) {
      log.warn({ code: 'ATTACHMENT_NOT_FOUND' }, 'attachment record not found (expired or never written); job dropped');
      return;
    }
    if (isTerminalStatus(record.status)) return stopQuietly(record, log);
    if (record.stage !== stage) {
      // Re-run of a job whose record moved on (crash after the write): make sure the record's stage has its job.
      if (STAGES.indexOf(record.stage) < STAGES.indexOf(stage)) log.warn({ record_stage: record.stage }, 'job is ahead of its record; resuming the record stage');
      await queues.enqueueStage(record.stage, id);
      return;
    }
    const startedAt = record.stages[stage]?.started_at ?? iso(runStarted);
    // Only a queued record is written at its first stage's start (it becomes `running` at once). Later stages
    // write their start with the outcome (next/wait/retry), which saves a Redis round trip per stage.
    // The start write is not awaited before the stage runs (issue 7: one round trip less in the first stage,
    // which bounds the pipeline's rate): it is the first command of the run on the connection, so any record
    // write the stage makes lands after it. Its answer is awaited before the outcome is applied; when the
    // attachment ended meanwhile (cancelled while queued) the run stops there without writing anything, as
    // it did when that was found before the run. (A cancel can race the first stage anyway: it is allowed
    // while the attachment is running at `network`.)
    let startWrite: Promise<boolean> = Promise.resolve(true);
    if (record.status === 'queued') {
      const stages = { ...record.stages, [stage]: { ...record.stages[stage], started_at: startedAt } };
      startWrite = store.patch(id, { status: 'running', stages });
      startWrite.catch(() => undefined); // awaited below; this only keeps an early rejection from going unhandled
      record.status = 'running';
      record.stages = stages;
    }
    const collector = createCallCollector();
    const stageDeps: StageDeps = stageDepsFor(rt, collector.onCall, log);
    const ctx: RunContext = { startedAt, runStarted, collector, log, deps: stageDeps };
    const endedBeforeStart = async (): Promise<boolean> => {
      if (await startWrite) return false;
      await store.addCloudCalls(id, collector.count);
      log.debug('attachment ended before its first stage started; stage stops');
      return true;
    };
    let outcome: StageOutcome;
    try {
      outcome = await runStage(stage, record, stageDeps);
    } catch (err) {
      if (await endedBeforeStart()) return;
      await store.addCloudCalls(id, collector.count);
      return onError(job, record, err, ctx);
    }
    if (await endedBeforeStart()) return;
    // The calls are counted with the outcome's write (or after it, when the record had ended meanwhile).
    await apply(job, token, record, outcome, ctx);
  };

  const worker = new SharedConnectionWorker<StageJobData>(stage, processor, workerOptions(rt, stage));
  return worker;
}
