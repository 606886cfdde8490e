/**
 * The webhook delivery queue (BullMQ side of src/events). One job per (delivery, attempt series); its id is
 * deterministic — `${delivery_id}` for the first series, `${delivery_id}.replay-<n>` for replays — so enqueueing
 * the same delivery twice (a dispatcher that crashed before XACK) adds one job. Job data is the delivery id only.
 */
import type { ConnectionOptions, JobsOptions, Queue } from 'bullmq';
import { SharedConnectionQueue } from './shared-connection.js';
import type { EnqueueDelivery, WebhookJobData } from '../events/types.js';
import { WEBHOOK_QUEUE } from './names.js';

/** Transient infrastructure errors (Redis blips) retry the job; delivery failures never throw (own schedule). */
export const WEBHOOK_JOB_ATTEMPTS = 5;

export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: WEBHOOK_JOB_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

export function webhookJobId(deliveryId: string, series: number): string {
  return series === 0 ? deliveryId : `${deliveryId}.replay-${series}`;
}

export interface WebhookQueue {
  readonly queue: Queue<WebhookJobData>;
  enqueue: EnqueueDelivery;
  close(): Promise<void>;
}

export function createWebhookQueue(opts: { connection: ConnectionOptions; prefix: string; onError?: (err: Error) => void }): WebhookQueue {
  const queue = new SharedConnectionQueue<WebhookJobData>(WEBHOOK_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  // BullMQ re-emits connection errors as 'error' on the queue; with no listener that emit throws inside a
  // promise callback and becomes an unhandled rejection (seen with Redis down at start). Failures surface on
  // enqueue() anyway, so the default listener only absorbs the event.
  queue.on('error', opts.onError ?? (() => undefined));
  return {
    queue,
    async enqueue(deliveryId, series) {
      await queue.add('deliver', { delivery_id: deliveryId }, { ...WEBHOOK_JOB_OPTIONS, jobId: webhookJobId(deliveryId, series) });
    },
    close: () => queue.close(),
  };
}
