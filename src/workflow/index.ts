/** The attach workflow's public surface: records, stages, schedule, errors. No BullMQ here. */
export * from './types.js';
export { createKeys, type Keys } from './keys.js';
export {
  createAttachmentStore,
  isTerminalStatus,
  CANCELLABLE_STAGES,
  type AttachmentStore,
  type BatchInput,
  type BatchView,
  type ListPage,
  type ListQuery,
  type PatchOptions,
  type StoreDeps,
  type StoreSettings,
  type TerminalChange,
  type TerminalStatus,
} from './record-store.js';
export { newAttachmentRecord, type NewRecordOptions } from './new-record.js';
export { decodeRecord, encodeFields, RECORD_FIELDS } from './record-codec.js';
export { WorkflowError, terminal, WORKFLOW_ERROR_CODES, type WorkflowErrorCode } from './errors.js';
export { next, wait, failed, succeeded, toAttachmentError, type StageOutcome } from './outcome.js';
export { nextPollDelay, firstPollDelay, buildModel, hazard, quantile, MIN_SAMPLES, type DurationModel, type PollScheduleSettings } from './poll-schedule.js';
export { createJobDurations, JOB_DURATION_SAMPLES } from './job-durations.js';
export { instrumentClient, createCallCollector, type CallCollector } from './instrumented-client.js';
export { redisScript, type RedisScript } from './redis-script.js';
export type { Locks, HeldLock, Leases, LockResult, JobDurations, StageDeps, WorkflowSettings } from './deps.js';
export { createSubnetUsers, SUBNET_USERS_TTL_MS, type SubnetUsers } from './subnet-users.js';
export * from './stages/index.js';
