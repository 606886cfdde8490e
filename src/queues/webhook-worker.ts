/**
 * The webhook delivery worker: runs one attempt (src/events/delivery.ts) per job. A failed attempt that has a
 * next one re-schedules the same job with moveToDelayed + DelayedError: the retry schedule is the delivery's
 * own (webhook.retrySchedule, not exponential), its attempt counter lives in the delivery record, and a waiting
 * delivery holds no worker slot. Only infrastructure errors throw (and retry as BullMQ attempts); a job that
 * fails for good dead-letters its delivery, so nothing stays pending forever.
 */
import { DelayedError, type ConnectionOptions, type Job, type Worker } from 'bullmq';
import { SharedConnectionWorker } from './shared-connection.js';
import type { DeliveryRunner } from '../events/delivery.js';
import type { WebhookJobData } from '../events/types.js';
import type { Logger } from '../lib/logger.js';
import { WEBHOOK_QUEUE } from './names.js';

export interface WebhookWorkerDeps {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  runner: DeliveryRunner;
  logger: Logger;
  /** Start processing at once (default true). */
  autorun?: boolean;
}

export function createWebhookWorker(deps: WebhookWorkerDeps): Worker<WebhookJobData> {
  const processor = async (job: Job<WebhookJobData>, token?: string): Promise<string> => {
    const outcome = await deps.runner.attempt(job.data.delivery_id);
    if (outcome.kind === 'retry') {
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    return outcome.kind === 'done' ? outcome.status : `skipped: ${outcome.reason}`;
  };
  const worker = new SharedConnectionWorker<WebhookJobData, string>(WEBHOOK_QUEUE, processor, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    autorun: deps.autorun ?? true,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    // Final when BullMQ will not retry it: finished (also after too many stalls) or out of attempts.
    const final = job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1);
    deps.logger.error({ code: 'WEBHOOK_JOB_ERROR', delivery_id: job.data.delivery_id, job_id: job.id, attempt: job.attemptsMade, final, error: err.message }, 'webhook job error');
    if (final) {
      deps.runner.abandon(job.data.delivery_id, `delivery job failed: ${err.message}`).catch((e: unknown) => {
        deps.logger.error({ code: 'WEBHOOK_ABANDON_FAILED', delivery_id: job.data.delivery_id, error: e instanceof Error ? e.message : String(e) }, 'could not dead-letter the delivery');
      });
    }
  });
  worker.on('error', (err) => deps.logger.error({ code: 'WEBHOOK_WORKER_ERROR', error: err.message }, 'webhook worker error'));
  return worker;
}
