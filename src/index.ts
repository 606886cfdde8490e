/**
 * The package's public surface for other services that share the Redis: the producer library (enqueue
 * attachments and batches, read them, wait for them to end) and the types of what it accepts and returns.
 *
 *   import { createProducer } from 'ecs-nic-attach';
 *   const producer = createProducer({ redis: 'redis://127.0.0.1:6379', prefix: 'nicattach' });
 *   const { attachment } = await producer.attach({ server_id, subnet: { id: subnetId } }, { idempotencyKey: 'order-42' });
 *   const done = await producer.waitFor(attachment.id);
 */
export {
  createProducer,
  createProducerConnection,
  isRedisUnavailableError,
  type AttachOptions,
  type AttachResult,
  type BatchAccepted,
  type BatchOptions,
  type Producer,
  type ProducerOptions,
  type WaitOptions,
} from './queues/producer.js';
export {
  validateAttachmentRequest,
  validateBatchRequest,
  type AttachmentRequestBody,
  type BatchRequestBody,
  type ValidatedBatchRequest,
} from './workflow/request/index.js';
export type {
  AttachmentError,
  AttachmentRecord,
  AttachmentRequest,
  AttachmentStatus,
  BatchSummary,
  CompletionEvent,
  EventType,
  PortSpec,
  StageName,
  SubnetSpec,
  VpcSpec,
} from './workflow/types.js';
export type { BatchView, ListPage, ListQuery } from './workflow/record-store.js';
export { AppError, ValidationError } from './lib/errors.js';
