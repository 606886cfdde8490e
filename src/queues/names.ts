/**
 * Queue names and deterministic job ids. A stage job's id is derived from the attachment id, so adding the same
 * stage twice (a retry after a lost answer, a producer retry) is a no-op while the first job exists.
 * BullMQ rejects custom job ids containing ":" (it separates Redis key parts), so "-" and "." are used.
 */
import type { StageName } from '../workflow/types.js';

export const STAGE_QUEUES: readonly StageName[] = ['network', 'subnet', 'port', 'attach', 'poll'];
export const CLEANUP_QUEUE = 'cleanup';
export const WEBHOOK_QUEUE = 'webhook';
export const ALL_QUEUES = [...STAGE_QUEUES, CLEANUP_QUEUE, WEBHOOK_QUEUE] as const;
export type AnyQueueName = (typeof ALL_QUEUES)[number];

/** `att_<uuid>.network`; a re-scheduled poll keeps its id (moveToDelayed), so no generation is needed. */
export function stageJobId(attachmentId: string, stage: StageName): string {
  return `${attachmentId}.${stage}`;
}

export function cleanupJobId(attachmentId: string): string {
  return `${attachmentId}.cleanup`;
}

/** Data of every stage and cleanup job: the attachment id only (design.md §1); the record holds the rest. */
export interface StageJobData {
  attachment_id: string;
}
