/**
 * createCleanupWorker(deps): the worker of the cleanup queue. Runs src/workflow/stages/cleanup.ts on a
 * terminal (failed or cancelled) attachment and writes its progress and result into record.cleanup:
 * wait → progress written, job delayed (no attempt burnt); done → result written, lease released;
 * errors → ./error-policy.ts as for stages, and when cleanup gives up, cleanup.status = failed with the error.
 * Safe to run again for the same attachment (the reconciler re-adds a cleanup job it finds missing or stale,
 * ./reconciler.ts): it returns at once when record.cleanup says done, runCleanup checks before every delete
 * and resumes from the progress in record.cleanup, and the server lease is released only by its owner.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { SharedConnectionWorker } from './shared-connection.js';
import { createCallCollector } from '../workflow/instrumented-client.js';
import { runCleanup } from '../workflow/stages/cleanup.js';
import { decideOnError } from './error-policy.js';
import { CLEANUP_QUEUE, type StageJobData } from './names.js';
import { stageDepsFor, workerOptions, type WorkerRuntime } from './worker-runtime.js';

export function createCleanupWorker(rt: WorkerRuntime): Worker<StageJobData> {
  const { store, clock } = rt;
  const processor = async (job: Job<StageJobData>, token?: string): Promise<void> => {
    const runStarted = clock.now();
    const id = job.data.attachment_id;
    const log = rt.logger.child({ attachment_id: id, stage: 'cleanup', job_id: job.id, attempt: job.attemptsMade + 1 });
    const record = await store.get(id);
    if (!record) {
      log.warn({ code: 'ATTACHMENT_NOT_FOUND' }, 'attachment record not found; cleanup dropped');
      return;
    }
    if (record.status !== 'failed' && record.status !== 'cancelled') {
      log.warn({ status: record.status }, 'cleanup only undoes failed or cancelled attachments; nothing done');
      return;
    }
    if (record.cleanup?.status === 'done') return;
    const collector = createCallCollector();
    const deps = stageDepsFor(rt, collector.onCall, log);
    const base = (): Record<string, unknown> => ({
      duration_ms: clock.now() - runStarted,
      cloud_calls: collector.count,
      ...(collector.requestIds.length > 0 ? { request_ids: collector.requestIds } : {}),
    });
    let outcome;
    try {
      outcome = await runCleanup(record, deps);
    } catch (err) {
      await store.addCloudCalls(id, collector.count);
      const decision = decideOnError(err, job.attemptsMade + 1, job.opts.attempts ?? rt.config.workflow.stageAttempts);
      if (decision.action === 'throttle') {
        await rt.rateLimiter.pauseFor(decision.pauseMs);
        await rt.queues.queues.cleanup.rateLimit(decision.pauseMs);
        throw Worker.RateLimitError();
      }
      if (decision.action === 'retry') {
        log.warn({ ...base(), outcome: 'retry', error_code: decision.error.code }, `cleanup will retry: ${decision.error.code}`);
        throw err;
      }
      await store.setCleanup(id, { ...record.cleanup, status: 'failed', error: `${decision.error.code}: ${decision.error.message}`, attempts: job.attemptsMade + 1, finished_at: new Date(clock.now()).toISOString() });
      log.error({ ...base(), outcome: 'failed', error_code: decision.error.code }, `cleanup failed: ${decision.error.message}`);
      throw new UnrecoverableError(`${decision.error.code}: ${decision.error.message}`);
    }
    await store.addCloudCalls(id, collector.count);
    if (outcome.kind === 'wait') {
      await store.setCleanup(id, { ...outcome.progress, attempts: job.attemptsMade + 1 });
      log.info({ ...base(), outcome: 'wait', delay_ms: outcome.delayMs, reason: outcome.reason }, `cleanup waits: ${outcome.reason}`);
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    await store.setCleanup(id, { ...outcome.result, attempts: job.attemptsMade + 1 });
    await rt.leases.release(rt.keys.serverLease(record.server_id), record.id);
    log.info({ ...base(), outcome: 'done', cleanup: outcome.result }, 'cleanup done');
  };
  return new SharedConnectionWorker<StageJobData>(CLEANUP_QUEUE, processor, workerOptions(rt, 'cleanup'));
}
