/**
 * The failure net: a job that BullMQ failed for good without the workflow having ended its attachment (it
 * stalled more than maxStalledCount times, or failed outside the processor) ends the attachment as failed
 * (STAGE_STALLED / STAGE_RETRIES_EXHAUSTED), releases its server lease and adds its cleanup. Installed on
 * every workflow worker (./workers.ts), and used by the reconciler (./reconciler.ts) for a failed job whose
 * 'failed' handler never ran (the process died in between). A death between the terminal transition and the
 * cleanup add is the reconciler's too: it adds the cleanup of failed/cancelled records that lack one.
 */
import type { Worker } from 'bullmq';
import { isTerminalStatus } from '../workflow/record-store.js';
import type { StageJobData } from './names.js';
import type { WorkerRuntime } from './worker-runtime.js';

type NetRuntime = Pick<WorkerRuntime, 'store' | 'leases' | 'keys' | 'queues' | 'logger'>;

/** Ends the attachment of a job failed for good; true when this call made the terminal transition. */
export async function failAttachmentOfFailedJob(rt: NetRuntime, attachmentId: string, queue: string, reason: string): Promise<boolean> {
  const record = await rt.store.get(attachmentId);
  if (!record || isTerminalStatus(record.status)) return false;
  const code = /stalled/i.test(reason) ? 'STAGE_STALLED' : 'STAGE_RETRIES_EXHAUSTED';
  const ended = await rt.store.finish(record.id, {
    status: 'failed',
    fields: { error: { code, message: reason, stage: record.stage, retryable: false } },
  });
  if (ended) {
    await rt.leases.release(rt.keys.serverLease(record.server_id), record.id);
    await rt.queues.enqueueCleanup(record.id);
    rt.logger.warn({ attachment_id: record.id, stage: queue, error_code: code }, `attachment failed: its ${queue} job failed for good (${reason})`);
  }
  return ended;
}

export function installFailureNet(worker: Worker<StageJobData>, queue: string, rt: NetRuntime): void {
  worker.on('failed', (job, err) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return; // a retry is scheduled
      await failAttachmentOfFailedJob(rt, job.data.attachment_id, queue, err.message);
    })().catch((e: unknown) => rt.logger.error({ err: e, stage: queue }, 'could not end the attachment of a failed job'));
  });
}
