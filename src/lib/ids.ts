/** Identifier helpers. Attachment and batch ids are prefixed UUIDs so they read well in logs. */
import { randomUUID, randomBytes } from 'node:crypto';

export type IdGenerator = () => string;

export const uuid: IdGenerator = () => randomUUID();

/** 32 lowercase hex characters: the shape of ECS job ids, project ids and request ids. */
export function hex32(): string {
  return randomBytes(16).toString('hex');
}

export function newAttachmentId(): string {
  return `att_${randomUUID()}`;
}

export function newBatchId(): string {
  return `bat_${randomUUID()}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
