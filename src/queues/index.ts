/** The BullMQ adapter's public surface (the only module that imports bullmq). */
export { STAGE_QUEUES, CLEANUP_QUEUE, WEBHOOK_QUEUE, ALL_QUEUES, stageJobId, cleanupJobId, type StageJobData, type AnyQueueName } from './names.js';
export { createStageQueues, defaultJobOptions, WORKFLOW_QUEUES, type StageQueues, type WorkflowQueueName } from './stage-queues.js';
export { startWorkflowWorkers, type WorkflowWorkers, type WorkflowWorkersDeps } from './workers.js';
export { createStageWorker } from './stage-worker.js';
export { createCleanupWorker } from './cleanup-worker.js';
export { workerOptions, type WorkerRuntime, type WorkflowHooks } from './worker-runtime.js';
export { createQueueInspector, JOB_STATES, type QueueInspector, type JobState } from './queue-inspector.js';
export { createRedisConnection, waitForRedis, type ConnectionRole } from './connections.js';
export { createRedisLocks, createRedisLeases } from './locks.js';
export { createCloudRateLimiter, type CloudRateLimiter } from './rate-limiter.js';
export { decideOnError, type ErrorDecision } from './error-policy.js';
export { cancelAttachment } from './cancel.js';
export { createReconciler, type Reconciler, type ReconcileReport } from './reconciler.js';
export { installFailureNet, failAttachmentOfFailedJob } from './failure-net.js';
export * from './producer.js';
