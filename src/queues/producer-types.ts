/**
 * The producer's public types: its options, results and the Producer interface (the library surface other
 * services use; ./producer.ts implements it).
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Config } from '../config/types.js';
import type { BatchView, ListPage, ListQuery, StoreSettings } from '../workflow/record-store.js';
import type { AttachmentRecord, AttachmentRequest } from '../workflow/types.js';
import type { ValidatedBatchRequest } from '../workflow/request/index.js';

export interface ProducerOptions {
  /** An ioredis connection (not closed by `close()`), or a URL the producer connects to itself, failing fast. */
  redis: Redis | string;
  /** The service's key and queue prefix (config.redis.prefix). */
  prefix: string;
  logger?: Logger;
  /** How long an Idempotency-Key is remembered (default 24 h). */
  idempotencyTtlHours?: number;
  /** Most items of one batch (default 1000). */
  batchMaxItems?: number;
  /** Record store settings (defaults as the config schema's). */
  store?: Partial<StoreSettings>;
  /** Workflow settings that shape the jobs (attempts, backoff); the config schema's defaults when absent. */
  workflow?: Config['workflow'];
  clock?: Clock;
  /** Connect and command timeouts of a connection the producer opens itself (default 2000 ms each). */
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** How long a call waits for a (re)connecting Redis before REDIS_UNAVAILABLE (default 2000 ms). */
  readyWaitMs?: number;
  /**
   * 'signed' (default): callback_url is accepted (the service signs its deliveries with WEBHOOK_SECRET).
   * 'disabled': a request or batch carrying a callback_url is refused with 422 CALLBACK_URL_NOT_SIGNABLE and
   * nothing is written — what the API does when WEBHOOK_SECRET is empty (such deliveries could only be
   * dead-lettered). A library user sharing the Redis passes 'disabled' when the service has no WEBHOOK_SECRET.
   */
  callbackUrls?: 'signed' | 'disabled';
  /**
   * false: a callback_url whose host is an IP literal of a loopback, private, link-local, CGNAT, reserved, …
   * address, or `localhost`, is refused with 400 CALLBACK_URL_FORBIDDEN before anything is written — what the
   * API does unless WEBHOOK_ALLOW_PRIVATE (./producer-callback-targets.ts). true (default: the library does not
   * know the service's setting) accepts them here; the delivery refuses them anyway unless the service allows
   * them. A cloud metadata address (169.254.169.254, …) is refused either way, as webhook subscriptions are.
   */
  allowPrivateCallbacks?: boolean;
}

export interface AttachOptions {
  idempotencyKey?: string;
}

export interface AttachResult {
  attachment: AttachmentRecord;
  /** False when an Idempotency-Key matched an earlier request: the attachment is that request's. */
  created: boolean;
}

export interface BatchOptions {
  callback_url?: string;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string;
}

export interface BatchAccepted {
  id: string;
  total: number;
  attachment_ids: string[];
  /** False when an Idempotency-Key matched an earlier batch. */
  created: boolean;
}

export interface WaitOptions {
  /** Give up after this long (default 10 min): rejects with WAIT_TIMEOUT. */
  timeoutMs?: number;
  /** Poll interval (default 250 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}

export interface Producer {
  /** The Redis connection the producer uses (its own fail-fast one, or the one it was given). */
  readonly connection: Redis;
  /** Validate and enqueue one attachment. */
  attach(request: AttachmentRequest, opts?: AttachOptions): Promise<AttachResult>;
  /** Validate the items as a whole (one bad item rejects all) and enqueue them atomically as one batch. */
  attachBatch(items: AttachmentRequest[], opts?: BatchOptions): Promise<BatchAccepted>;
  /**
   * attachBatch for a body validateBatchRequest has already accepted (the HTTP API's validator compiler runs it),
   * so its items are not validated a second time; the batch's callback_url and metadata come from the body.
   * Everything after validation is attachBatch's: the item limit of this producer, CALLBACK_URL_NOT_SIGNABLE,
   * the Idempotency-Key, the one write of the records.
   */
  attachBatchValidated(body: ValidatedBatchRequest, opts?: Pick<BatchOptions, 'idempotencyKey'>): Promise<BatchAccepted>;
  get(id: string): Promise<AttachmentRecord | null>;
  /** Many records in one round trip (null for ids that do not exist). */
  getMany(ids: readonly string[]): Promise<Array<AttachmentRecord | null>>;
  getBatch(id: string): Promise<BatchView | null>;
  list(query: ListQuery): Promise<ListPage>;
  /** Cancel before the attach stage; ATTACHMENT_NOT_CANCELLABLE (409) later, ATTACHMENT_NOT_FOUND (404). */
  cancel(id: string): Promise<AttachmentRecord>;
  /** Resolves with the record once it is succeeded, failed or cancelled. */
  waitFor(id: string, opts?: WaitOptions): Promise<AttachmentRecord>;
  /** Throws REDIS_UNAVAILABLE unless Redis answers a PING. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
