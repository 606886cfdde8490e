/**
 * Cancel an attachment and add its cleanup job (the port stage may already have made a port). The store
 * decides whether it may be cancelled (queued/running, before attach); ATTACHMENT_NOT_CANCELLABLE otherwise.
 * A process that dies between the two leaves a cancelled record without cleanup: the reconciler adds it.
 */
import type { AttachmentStore } from '../workflow/record-store.js';
import type { AttachmentRecord } from '../workflow/types.js';
import type { StageQueues } from './stage-queues.js';

export async function cancelAttachment(deps: { store: Pick<AttachmentStore, 'cancel'>; queues: Pick<StageQueues, 'enqueueCleanup'> }, id: string): Promise<AttachmentRecord> {
  const record = await deps.store.cancel(id);
  await deps.queues.enqueueCleanup(id);
  return record;
}
