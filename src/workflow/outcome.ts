/**
 * What a stage function returns. Stages are pure functions of (record, deps) → outcome; the queue layer
 * (src/queues/stage-worker.ts) turns the outcome into BullMQ moves. Retryable errors are thrown, not returned.
 */
import type { AppError } from '../lib/errors.js';
import type { CloudError } from '../cloud/errors.js';
import type { AttachmentError, AttachmentRecord, StageName } from './types.js';
import type { WorkflowError } from './errors.js';

export type StageOutcome =
  /** Go on with `stage` (after `delayMs`, when given), writing `fields` with the stage change. */
  | { kind: 'next'; stage: StageName; delayMs?: number; fields?: Partial<AttachmentRecord> }
  /** Not ready yet: run this stage again after `delayMs`; not a failure, burns no attempt. */
  | { kind: 'wait'; delayMs: number; reason: string; fields?: Partial<AttachmentRecord> }
  | { kind: 'succeeded'; fields?: Partial<AttachmentRecord> }
  | { kind: 'failed'; error: AppError; fields?: Partial<AttachmentRecord> }
  /** The attachment ended meanwhile (cancelled): nothing more to do here. */
  | { kind: 'stopped'; reason: string };

export const next = (stage: StageName, fields?: Partial<AttachmentRecord>, delayMs?: number): StageOutcome => ({
  kind: 'next',
  stage,
  ...(fields ? { fields } : {}),
  ...(delayMs === undefined ? {} : { delayMs }),
});
export const wait = (delayMs: number, reason: string, fields?: Partial<AttachmentRecord>): StageOutcome => ({
  kind: 'wait',
  delayMs: Math.max(0, Math.round(delayMs)),
  reason,
  ...(fields ? { fields } : {}),
});
export const failed = (error: AppError, fields?: Partial<AttachmentRecord>): StageOutcome => ({ kind: 'failed', error, ...(fields ? { fields } : {}) });
export const succeeded = (fields?: Partial<AttachmentRecord>): StageOutcome => ({ kind: 'succeeded', ...(fields ? { fields } : {}) });

/** The error as stored in the record (and the failure event): code, message, stage, cloud code, request id. */
export function toAttachmentError(err: AppError, stage: AttachmentError['stage']): AttachmentError {
  const cloud = err as Partial<CloudError> & Partial<WorkflowError>;
  const cloudCode = typeof cloud.cloudCode === 'string' ? cloud.cloudCode : undefined;
  const requestId = typeof cloud.requestId === 'string' ? cloud.requestId : undefined;
  return {
    code: err.code,
    message: err.message,
    stage,
    ...(cloudCode ? { cloud_code: cloudCode } : {}),
    ...(requestId ? { request_id: requestId } : {}),
    retryable: err.retryable,
  };
}
