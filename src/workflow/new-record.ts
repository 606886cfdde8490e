/** A fresh attachment record for a validated request: status queued, at the network stage. */
import { newAttachmentId } from '../lib/ids.js';
import type { AttachmentRecord, AttachmentRequest } from './types.js';

export interface NewRecordOptions {
  id?: string;
  batch_id?: string;
  idempotency_key?: string;
  /** Epoch ms (default now). */
  now?: number;
}

export function newAttachmentRecord(request: AttachmentRequest, opts: NewRecordOptions = {}): AttachmentRecord {
  const at = new Date(opts.now ?? Date.now()).toISOString();
  return {
    id: opts.id ?? newAttachmentId(),
    status: 'queued',
    stage: 'network',
    server_id: request.server_id,
    request,
    ...(opts.batch_id ? { batch_id: opts.batch_id } : {}),
    ...(request.callback_url ? { callback_url: request.callback_url } : {}),
    ...(request.metadata ? { metadata: request.metadata } : {}),
    ...(opts.idempotency_key ? { idempotency_key: opts.idempotency_key } : {}),
    created_at: at,
    updated_at: at,
    stages: {},
    cloud_calls: 0,
  };
}
