/**
 * The producer: the one code path that accepts attachments, used by the HTTP API and exported as the library
 * for services that share the Redis (`createProducer` in src/index.ts). It validates (same checks as the API; the
 * API's batch route hands over the body its validator already checked, attachBatchValidated), writes the records
 * (a batch's records, indexes and batch hash in one all-or-nothing script: record-create-script.ts), then adds the
 * first-stage jobs with deterministic ids, so a retry after a lost answer adds nothing twice. A batch's jobs are
 * sent right behind its records' write on the same connection, without waiting for its answer: Redis runs them
 * after the write, so a job never exists before its record.
 *
 * Idempotency-Key (./idempotency.ts): the key is claimed before the record is written; the same key with the
 * same body returns that attachment, another body is a 409; a claim whose record never got written is completed
 * by the next retry with the claimed id. A write Redis refused, or one never sent, releases the claim; a write
 * sent but never answered (command timeout, connection lost while waiting) keeps it and answers OUTCOME_UNKNOWN
 * (503): Redis may have run it, and releasing would let the retry make a second attachment (writeFailed).
 * Once the records are written the call succeeds even when adding their jobs fails: the reconciler adds them.
 *
 * Fail fast: when the producer opens its own connection it disables ioredis' offline queue and bounds connect
 * and command time, so with Redis down a call fails within seconds as REDIS_UNAVAILABLE (HTTP 503), instead of
 * waiting for a reconnect.
 */
import { AppError } from '../lib/errors.js';
import { newAttachmentId, newBatchId } from '../lib/ids.js';
import { silentLogger } from '../lib/logger.js';
import { systemClock } from '../lib/clock.js';
import { delay } from '../lib/wait.js';
import { createKeys, type Keys } from '../workflow/keys.js';
import { createAttachmentStore, type AttachmentStore, type StoreSettings } from '../workflow/record-store.js';
import { newAttachmentRecord } from '../workflow/new-record.js';
import { TERMINAL_STATUSES, type AttachmentRecord, type AttachmentRequest } from '../workflow/types.js';
import {
  batchTooLarge,
  requestHash,
  validateAttachmentRequest,
  validateBatchRequest,
  type ValidatedBatchRequest,
} from '../workflow/request/index.js';
import { schema as configSchema } from '../config/schema.js';
import type { Config } from '../config/types.js';
import { createStageQueues } from './stage-queues.js';
import { cancelAttachment } from './cancel.js';
import { createProducerConnection, createReadyGate, isRedisUnavailableError, isUnsentCommandError, outcomeUnknown, redisUnavailable } from './producer-connection.js';
import { assertCallbackTargets } from './producer-callback-targets.js';
import { assertIdempotencyKey, createIdempotencyClaims } from './idempotency.js';
import type { AttachOptions, AttachResult, BatchAccepted, BatchOptions, Producer, ProducerOptions, WaitOptions } from './producer-types.js';

export type { AttachOptions, AttachResult, BatchAccepted, BatchOptions, Producer, ProducerOptions, WaitOptions } from './producer-types.js';


/** The config schema's defaults of the workflow section (for library users that bring no config). */
function workflowDefaults(): Config['workflow'] {
  const section = configSchema.workflow as unknown as Record<string, { default: unknown }>;
  return Object.fromEntries(Object.entries(section).map(([k, leaf]) => [k, leaf.default])) as unknown as Config['workflow'];
}

const DEFAULT_STORE: StoreSettings = { streamMaxLen: 100_000, recordRetentionDays: 7, stageCompletedEvents: false };

export { createProducerConnection, isRedisUnavailableError, outcomeUnknown, redisUnavailable } from './producer-connection.js';

export function createProducer(options: ProducerOptions): Producer {
  const ownsConnection = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? createProducerConnection(options.redis, options) : options.redis;
  const logger = options.logger ?? silentLogger();
  const clock = options.clock ?? systemClock;
  const keys: Keys = createKeys(options.prefix);
  const ready = createReadyGate(redis, options.readyWaitMs ?? 2000, clock);
  /** Run a Redis-touching call, turning connectivity failures into REDIS_UNAVAILABLE. */
  const guarded = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      await ready.wait();
      return await fn();
    } catch (err) {
      if (!(err instanceof AppError) && isRedisUnavailableError(err)) throw redisUnavailable(err);
      throw err;
    }
  };
  const store: AttachmentStore = createAttachmentStore({ ...DEFAULT_STORE, ...options.store }, { redis, keys, clock });
  const { claim, release, replay } = createIdempotencyClaims({ ttlMs: Math.round((options.idempotencyTtlHours ?? 24) * 3_600_000) }, { redis, keys, clock, logger });
  const batchMaxItems = options.batchMaxItems ?? 1000;
  const stageQueues = createStageQueues({ redis: { url: '', prefix: options.prefix }, workflow: options.workflow ?? workflowDefaults() }, { connection: redis });
  for (const queue of Object.values(stageQueues.queues)) {
    queue.on('error', (err) => logger.warn({ err, code: 'REDIS_UNAVAILABLE' }, 'producer queue error'));
  }

  const enqueue = (records: readonly AttachmentRecord[]): Promise<void> => stageQueues.enqueueAttachments(records);
  const callbacksDisabled = options.callbackUrls === 'disabled';
  const allowPrivateCallbacks = options.allowPrivateCallbacks ?? true;

  /**
   * Adds the first-stage jobs of records that ARE written. A failure here is no reason to refuse: the records
   * exist (a refusal would make the caller retry and, without an Idempotency-Key, enqueue a second attachment),
   * and the workers' reconciler adds the stage job of a queued record that has none (src/queues/reconciler.ts,
   * reconcile-checks.ts checkStageJob: after workflow.reconcileAfterMs). So it is logged and the call succeeds.
   */
  const enqueueWritten = async (records: readonly AttachmentRecord[], added?: Promise<void>): Promise<void> => {
    try {
      await (added ?? enqueue(records));
    } catch (err) {
      const unreachable = isRedisUnavailableError(err);
      logger[unreachable ? 'warn' : 'error'](
        { err, code: 'ENQUEUE_DEFERRED', attachment_ids: records.slice(0, 10).map((r) => r.id), count: records.length },
        'records written but their first-stage jobs could not be added; the reconciler adds them',
      );
    }
  };

  /** A record written but possibly never enqueued (the writer died in between): adding its job again is safe. */
  const repairEnqueue = async (record: AttachmentRecord): Promise<void> => {
    if (record.status === 'queued' && record.stage === 'network') await enqueueWritten([record]);
  };

  /**
   * What a failed record write means. Refused by Redis (a script error: the write is all or nothing) or never
   * sent (isUnsentCommandError): nothing was written, our claim of the Idempotency-Key is released and the error
   * stands (REDIS_UNAVAILABLE "nothing was enqueued" for connectivity). Sent but not answered (a command timeout,
   * the connection lost while waiting): Redis may have run it, so the claim is KEPT — a retry with the same key
   * then finds the record (replay) or writes it under the claimed id, never a second one — and the answer is
   * OUTCOME_UNKNOWN.
   */
  const writeFailed = async (
    err: unknown,
    statusAtSend: string,
    what: { kind: 'attachment' | 'batch'; id: string; idempotencyKey?: string | undefined; ours: boolean },
  ): Promise<never> => {
    if (!isRedisUnavailableError(err) || isUnsentCommandError(err, statusAtSend)) {
      if (what.ours && what.idempotencyKey !== undefined) await release(what.idempotencyKey, what.id);
      throw err;
    }
    logger.warn({ err, code: 'OUTCOME_UNKNOWN', [`${what.kind}_id`]: what.id }, 'record write sent but not confirmed; the Idempotency-Key (if any) stays claimed');
    throw outcomeUnknown(err, what);
  };

  /**
   * Sends the write of one record; a failure is turned into the error writeFailed chooses. True when this call
   * wrote the record (false: it existed already; the write is create-only).
   */
  const writeOne = async (record: AttachmentRecord, key: string | undefined, ours: boolean): Promise<boolean> => {
    const statusAtSend = redis.status;
    try {
      return await store.create(record);
    } catch (err) {
      return writeFailed(err, statusAtSend, { kind: 'attachment', id: record.id, idempotencyKey: key, ours });
    }
  };

  const attach = (input: AttachmentRequest, opts: AttachOptions = {}): Promise<AttachResult> =>
    guarded(async () => {
      const request = validateAttachmentRequest(input);
      assertCallbackTargets(request, allowPrivateCallbacks);
      if (callbacksDisabled && request.callback_url !== undefined) throw callbackUrlNotSignable('callback_url');
      const key = opts.idempotencyKey;
      if (key !== undefined) assertIdempotencyKey(key);
      const id = newAttachmentId();
      const build = (withId: string): AttachmentRecord =>
        newAttachmentRecord(request, { id: withId, now: clock.now(), ...(key === undefined ? {} : { idempotency_key: key }) });
      if (key !== undefined) {
        const earlier = await claim(key, { id, hash: requestHash({ kind: 'attachment', request }) });
        if (earlier) {
          const wrote = await replay(earlier, () => writeOne(build(earlier.id), key, false));
          const record = await store.get(earlier.id);
          if (!record) throw new AppError('ATTACHMENT_NOT_FOUND', `attachment ${earlier.id} is gone (expired)`, { httpStatus: 404 });
          await repairEnqueue(record);
          return { attachment: record, created: wrote };
        }
      }
      const record = build(id);
      await writeOne(record, key, true);
      await enqueueWritten([record]);
      logger.debug({ attachment_id: id }, 'attachment accepted');
      return { attachment: record, created: true };
    });

  /** Everything after validation: the callback check, the Idempotency-Key, records and batch in one write, the jobs. */
  const acceptBatch = async (body: ValidatedBatchRequest, key: string | undefined): Promise<BatchAccepted> => {
    assertCallbackTargets(body, allowPrivateCallbacks);
    if (callbacksDisabled) {
      if (body.callback_url !== undefined) throw callbackUrlNotSignable('callback_url');
      const index = body.items.findIndex((item) => item.callback_url !== undefined);
      if (index >= 0) throw callbackUrlNotSignable(`items[${index}].callback_url`, index);
    }
    if (key !== undefined) assertIdempotencyKey(key);
    const batchId = newBatchId();
    const build = (withId: string): { records: AttachmentRecord[]; ids: string[] } => {
      const now = clock.now();
      // Deterministic item ids per batch id: a writer that completes an earlier claim makes the same records.
      // The batch's callback_url receives batch.completed; an item's own callback_url its attachment events.
      const records = body.items.map((item, i) => newAttachmentRecord(item as AttachmentRequest, { id: batchItemId(withId, i), batch_id: withId, now }));
      return { records, ids: records.map((r) => r.id) };
    };
    /** Builds the records and SENDS their write (records, indexes, batch hash: one script); `written` is its answer. */
    const send = (withId: string): { records: AttachmentRecord[]; written: Promise<boolean> } => {
      const { records } = build(withId);
      const createdAt = new Date(clock.now()).toISOString();
      const written = store.createMany(records, {
        id: withId,
        created_at: createdAt,
        ...(body.callback_url === undefined ? {} : { callback_url: body.callback_url }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      });
      return { records, written };
    };
    /** The replay's write of a claimed batch: its failure keeps the claim (it is not ours to release). */
    const write = async (withId: string): Promise<AttachmentRecord[] | undefined> => {
      const statusAtSend = redis.status;
      const { records, written } = send(withId);
      const wrote = await written.catch((err: unknown) => writeFailed(err, statusAtSend, { kind: 'batch', id: withId, idempotencyKey: key, ours: false }));
      // Nothing written (the first write landed meanwhile): the stored records, not these, are the truth.
      return wrote ? records : undefined;
    };
    if (key !== undefined) {
      const earlier = await claim(key, { id: batchId, hash: requestHash({ kind: 'batch', body }) });
      if (earlier) {
        let records: AttachmentRecord[] | undefined;
        const wrote = await replay(earlier, async () => {
          records = await write(earlier.id);
          return records !== undefined;
        });
        const view = await store.getBatch(earlier.id);
        if (!view) throw new AppError('BATCH_NOT_FOUND', `batch ${earlier.id} is gone (expired)`, { httpStatus: 404 });
        const current = records ?? ((await store.getMany(view.attachment_ids)).filter((r): r is AttachmentRecord => r !== null));
        await enqueueWritten(current.filter((r) => r.status === 'queued' && r.stage === 'network'));
        return { id: earlier.id, total: view.total, attachment_ids: itemIds(earlier.id, view.total), created: wrote };
      }
    }
    const statusAtSend = redis.status;
    const { records, written } = send(batchId);
    // The jobs go out right behind the records' write, without waiting for its answer: the store and the queues
    // share one connection, and Redis runs one connection's commands in order, so every job is added after its
    // record exists (as when the answer was awaited) — while the client builds the jobs, Redis writes the records.
    const added = enqueue(records);
    const [wrote] = await Promise.allSettled([written, added]);
    if (wrote.status === 'rejected') {
      // Refused or never sent: not accepted, the claim is released for a retry (a job that got in behind a
      // refused write finds no record and its worker drops it). Sent but unanswered: OUTCOME_UNKNOWN, claim kept.
      await writeFailed(wrote.reason, statusAtSend, { kind: 'batch', id: batchId, idempotencyKey: key, ours: true });
    }
    await enqueueWritten(records, added);
    logger.debug({ batch_id: batchId, total: records.length }, 'batch accepted');
    return { id: batchId, total: records.length, attachment_ids: records.map((r) => r.id), created: true };
  };

  const attachBatch = (items: AttachmentRequest[], opts: BatchOptions = {}): Promise<BatchAccepted> =>
    guarded(async () => {
      const body = validateBatchRequest(
        {
          items,
          ...(opts.callback_url === undefined ? {} : { callback_url: opts.callback_url }),
          ...(opts.metadata === undefined ? {} : { metadata: opts.metadata }),
        },
        { maxItems: batchMaxItems },
      );
      return acceptBatch(body, opts.idempotencyKey);
    });

  const attachBatchValidated = (body: ValidatedBatchRequest, opts: Pick<BatchOptions, 'idempotencyKey'> = {}): Promise<BatchAccepted> =>
    guarded(async () => {
      // The validator that accepted the body may have had a higher item limit than this producer's.
      if (body.items.length > batchMaxItems) throw batchTooLarge(body.items.length, batchMaxItems);
      return acceptBatch(body, opts.idempotencyKey);
    });
  const get = (id: string): Promise<AttachmentRecord | null> => guarded(() => store.get(id));

  const waitFor = async (id: string, opts: WaitOptions = {}): Promise<AttachmentRecord> => {
    const deadline = clock.now() + (opts.timeoutMs ?? 600_000);
    for (;;) {
      opts.signal?.throwIfAborted();
      const record = await get(id);
      if (!record) throw new AppError('ATTACHMENT_NOT_FOUND', `attachment ${id} does not exist`, { httpStatus: 404 });
      if (TERMINAL_STATUSES.includes(record.status)) return record;
      if (clock.now() >= deadline) {
        throw new AppError('WAIT_TIMEOUT', `attachment ${id} is still ${record.status} at stage ${record.stage}`, { retryable: true, details: { status: record.status, stage: record.stage } });
      }
      await delay(opts.intervalMs ?? 250, undefined, opts.signal ? { signal: opts.signal } : undefined);
    }
  };

  return {
    connection: redis,
    attach,
    attachBatch,
    attachBatchValidated,
    get,
    getMany: (ids) => guarded(() => store.getMany(ids)),
    getBatch: (id) => guarded(() => store.getBatch(id)),
    list: (query) => guarded(() => store.list(query)),
    // Cancelling also adds the cleanup job: the port stage may already have made a port.
    cancel: (id) => guarded(() => cancelAttachment({ store, queues: stageQueues }, id)),
    waitFor,
    async ping() {
      if (redis.status !== 'ready') throw redisUnavailable(new Error(`connection is ${redis.status}`));
      await guarded(() => redis.ping());
    },
    async close() {
      ready.dispose();
      await stageQueues.close().catch(() => undefined);
      if (ownsConnection) redis.disconnect();
    },
  };
}

/**
 * The id of item `i` of a batch: the batch's UUID with its first 8 hex digits replaced by the index. Rewriting a
 * claimed batch makes the same ids, and items of one batch (same creation time) list in item order.
 */
export function batchItemId(batchId: string, i: number): string {
  return `att_${i.toString(16).padStart(8, '0')}${batchId.slice('bat_'.length + 8)}`;
}

function itemIds(batchId: string, total: number): string[] {
  return Array.from({ length: total }, (_, i) => batchItemId(batchId, i));
}

/** A callback_url on a service without WEBHOOK_SECRET: its deliveries could not be signed (changes nothing). */
export function callbackUrlNotSignable(field: string, index?: number): AppError {
  return new AppError(
    'CALLBACK_URL_NOT_SIGNABLE',
    `${field} cannot be used: WEBHOOK_SECRET is not configured on this service, so callback deliveries could not be signed; ` +
      'set WEBHOOK_SECRET, or leave callback_url out and subscribe with POST /v1/webhooks',
    { httpStatus: 422, details: { field, ...(index === undefined ? {} : { index }) } },
  );
}
