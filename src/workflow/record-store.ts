/**
 * The attachment record store: one Redis hash per attachment (the source of truth the API serves), sorted-set
 * indexes for listing (all, by status, by server, by batch; scored by creation time), batch hashes, and THE
 * terminal transition (./record-scripts.ts) that also appends the completion events. Nothing else in the
 * service appends attachment or batch events.
 */
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { uuid } from '../lib/ids.js';
import type { Keys } from './keys.js';
import { decodeRecord, fieldArgs, RECORD_FIELDS_JSON } from './record-codec.js';
import { CLEANUP_SCRIPT, INCR_SCRIPT, PATCH_SCRIPT, TERMINAL_SCRIPT } from './record-scripts.js';
import { createRecordsWrite, sendCreateRecords } from './record-create-script.js';
import { DEFAULT_STREAM_MAX_AGE_MS, type StoreSettings } from './store-settings.js';
import { WorkflowError } from './errors.js';
import {
  ATTACHMENT_STATUSES,
  TERMINAL_STATUSES,
  type AttachmentRecord,
  type AttachmentStatus,
  type BatchSummary,
  type CleanupResult,
  type StageName,
} from './types.js';

export type TerminalStatus = 'succeeded' | 'failed' | 'cancelled';

export interface BatchInput {
  id: string;
  created_at: string;
  callback_url?: string;
  metadata?: Record<string, unknown>;
}

export interface BatchView extends BatchSummary {
  attachment_ids: string[];
}

export interface ListQuery {
  status?: AttachmentStatus;
  server_id?: string;
  batch_id?: string;
  /** 1..1000. */
  limit: number;
  /** The `next_cursor` of the previous page. */
  cursor?: string;
}

export interface ListPage {
  items: AttachmentRecord[];
  next_cursor?: string;
}

export interface TerminalChange {
  status: TerminalStatus;
  fields?: Partial<AttachmentRecord>;
  /** Event id to use (default evt_<uuid>). */
  eventId?: string;
  /** Cloud calls to add to `cloud_calls` in the same script (saves the separate addCloudCalls round trip). */
  addCloudCalls?: number;
  /**
   * The record's batch_id and server_id when the caller has loaded the record (they never change): saves
   * reading them back before the script.
   */
  record?: Pick<AttachmentRecord, 'batch_id' | 'server_id'>;
}

export interface PatchOptions {
  /**
   * Append an `attachment.stage_completed` event for this stage (when enabled in config) — only when the record
   * is still at this stage before the write, so a second copy of the same stage job does not report it again.
   */
  stageCompleted?: StageName;
  /**
   * Cloud calls to add to `cloud_calls` in the same script — only when the patch applies (a terminal record
   * is left alone: the caller counts them with addCloudCalls then).
   */
  addCloudCalls?: number;
}

export interface AttachmentStore {
  /** False when the record exists already (the write is create-only: nothing was written). */
  create(record: AttachmentRecord): Promise<boolean>;
  /**
   * All records, their indexes and the batch hash in one Lua script (atomic: no reader sees part of it). The
   * write is sent on the connection before this returns, so commands the caller sends right after it (the
   * first-stage jobs) reach Redis, and run, after it. False when they exist already (create-only: nothing written).
   */
  createMany(records: readonly AttachmentRecord[], batch?: BatchInput): Promise<boolean>;
  get(id: string): Promise<AttachmentRecord | null>;
  getMany(ids: readonly string[]): Promise<Array<AttachmentRecord | null>>;
  /** Updates a record that is not terminal; false when it is terminal (or gone) and nothing changed. */
  patch(id: string, fields: Partial<AttachmentRecord>, opts?: PatchOptions): Promise<boolean>;
  /** Adds to the record's cloud_calls counter (terminal records too: cleanup calls count). */
  addCloudCalls(id: string, n: number): Promise<void>;
  /** Writes the cleanup result (terminal records too). */
  setCleanup(id: string, cleanup: CleanupResult): Promise<boolean>;
  list(query: ListQuery): Promise<ListPage>;
  getBatch(id: string): Promise<BatchView | null>;
  /**
   * THE terminal transition: only when the record is not terminal yet (compare-and-set), in one script with
   * the completion event (and `batch.completed` when it ends the batch). True when this call made the change.
   */
  finish(id: string, change: TerminalChange): Promise<boolean>;
  /**
   * Cancels an attachment that is queued/running and not yet at the attach stage; otherwise throws
   * ATTACHMENT_NOT_CANCELLABLE (409) or ATTACHMENT_NOT_FOUND (404). Returns the cancelled record.
   */
  cancel(id: string): Promise<AttachmentRecord>;
}

export { DEFAULT_STREAM_MAX_AGE_MS, storeSettingsFromConfig, type StoreSettings } from './store-settings.js';

export interface StoreDeps {
  redis: Redis;
  keys: Keys;
  clock?: Clock;
  newEventId?: () => string;
}

/** Stages an attachment can still be cancelled in (nothing has been posted to the server yet). */
export const CANCELLABLE_STAGES: readonly StageName[] = ['network', 'subnet', 'port'];
const MAX_LIST_LIMIT = 1000;
/** Margin over the retention before index entries are trimmed (an attachment runs far shorter than this). */
const INDEX_TRIM_MARGIN_MS = 86_400_000;

interface Cursor {
  s: number;
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string | undefined): Cursor | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof c.s === 'number' && typeof c.id === 'string') return { s: c.s, id: c.id };
  } catch {
    // fall through
  }
  throw new AppError('INVALID_CURSOR', 'cursor is not one this API returned', { httpStatus: 400 });
}

export function isTerminalStatus(status: AttachmentStatus): status is TerminalStatus {
  return TERMINAL_STATUSES.includes(status);
}

/** fieldArgs ("n, f1, v1, ...") plus the '+cloud_calls' increment pair of the record scripts, when n > 0. */
function withIncrement(args: string[], cloudCalls: number | undefined): string[] {
  if (!cloudCalls || cloudCalls <= 0) return args;
  return [String(Number(args[0]) + 1), ...args.slice(1), '+cloud_calls', String(Math.round(cloudCalls))];
}

export function createAttachmentStore(settings: StoreSettings, deps: StoreDeps): AttachmentStore {
  const { redis, keys } = deps;
  const clock = deps.clock ?? systemClock;
  const newEventId = deps.newEventId ?? (() => `evt_${uuid()}`);
  const retentionMs = settings.recordRetentionDays * 86_400_000;
  const nowIso = (): string => new Date(clock.now()).toISOString();

  const scriptKeys = (id: string, batchId: string | undefined, serverId?: string): string[] => {
    const rec = keys.attachment(id);
    return [
      rec,
      keys.attachmentsIndex(),
      keys.events(),
      ...ATTACHMENT_STATUSES.map((s) => keys.byStatus(s)),
      batchId ? keys.batch(batchId) : rec,
      batchId ? keys.batchItems(batchId) : rec,
      serverId ? keys.byServer(serverId) : rec,
    ];
  };
  /** Index entries created this long before now belong to records whose retention surely ran out. */
  const indexCutoff = (): number => clock.now() - retentionMs - INDEX_TRIM_MARGIN_MS;
  const streamMaxAgeMs = settings.streamMaxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS;
  /** The scripts' last argument: stream ids (epoch ms) below it are older than the age limit; '0' = none. */
  const streamMinId = (): string => (streamMaxAgeMs > 0 ? String(Math.max(0, Math.floor(clock.now() - streamMaxAgeMs))) : '0');

  const get = async (id: string): Promise<AttachmentRecord | null> => decodeRecord(await redis.hgetall(keys.attachment(id)));

  const getMany = async (ids: readonly string[]): Promise<Array<AttachmentRecord | null>> => {
    if (ids.length === 0) return [];
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hgetall(keys.attachment(id));
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, hash]) => {
      if (err) throw err;
      return decodeRecord(hash as Record<string, string>);
    });
  };

  /** One page of [id, score] after the cursor, newest first. */
  const indexPage = async (index: string, after: Cursor | undefined, count: number): Promise<Array<[string, number]>> => {
    let flat: string[];
    if (!after) {
      flat = await redis.zrevrange(index, 0, count - 1, 'WITHSCORES');
    } else {
      const rank = await redis.zrevrank(index, after.id);
      flat =
        rank === null
          ? await redis.zrevrangebyscore(index, `(${after.s}`, '-inf', 'WITHSCORES', 'LIMIT', 0, count)
          : await redis.zrevrange(index, rank + 1, rank + count, 'WITHSCORES');
    }
    const out: Array<[string, number]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, Number(flat[i + 1])]);
    return out;
  };

  const terminalTransition = async (
    id: string,
    status: TerminalStatus,
    fields: Partial<AttachmentRecord>,
    guard: { statuses?: readonly string[]; stages?: readonly string[] },
    eventId?: string,
    extra: { addCloudCalls?: number; record?: Pick<AttachmentRecord, 'batch_id' | 'server_id'> } = {},
  ): Promise<{ code: number; status: string; stage: string }> => {
    const [batchId, serverId] = extra.record ? [extra.record.batch_id, extra.record.server_id] : await redis.hmget(keys.attachment(id), 'batch_id', 'server_id');
    const list = (xs: readonly string[] | undefined): string => (xs && xs.length > 0 ? `,${xs.join(',')},` : '');
    const res = (await TERMINAL_SCRIPT.run(redis, scriptKeys(id, batchId ?? undefined, serverId ?? undefined), [
      nowIso(),
      RECORD_FIELDS_JSON,
      status,
      eventId ?? newEventId(),
      newEventId(),
      settings.streamMaxLen,
      retentionMs,
      list(guard.statuses),
      list(guard.stages),
      indexCutoff(),
      ...withIncrement(fieldArgs(fields), extra.addCloudCalls),
      streamMinId(),
    ])) as [number, string, string];
    return { code: Number(res[0]), status: res[1], stage: res[2] };
  };

  return {
    async create(record) {
      return Number(await sendCreateRecords(redis, createRecordsWrite(keys, [record]))) > 0;
    },

    // Not `async`: the write must be sent before this returns (see the interface); a throw still rejects.
    createMany(records, batch) {
      try {
        if (records.length === 0 && !batch) return Promise.resolve(false);
        const batchHash = batch && {
          key: keys.batch(batch.id),
          fields: {
            id: batch.id,
            total: String(records.length),
            created_at: batch.created_at,
            done: '0',
            ...(batch.callback_url ? { callback_url: batch.callback_url } : {}),
            ...(batch.metadata ? { metadata: JSON.stringify(batch.metadata) } : {}),
          },
        };
        return sendCreateRecords(redis, createRecordsWrite(keys, records, batchHash)).then((n) => Number(n) > 0);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },

    get,
    getMany,

    async patch(id, fields, opts = {}) {
      if (fields.status !== undefined && isTerminalStatus(fields.status)) {
        throw new TypeError('patch() cannot set a terminal status; use finish()');
      }
      const stageEvent = opts.stageCompleted !== undefined && settings.stageCompletedEvents;
      const res = await PATCH_SCRIPT.run(redis, scriptKeys(id, undefined), [
        nowIso(),
        // The field table is only read to build a stage event: without one, '' saves sending ~700 bytes on
        // every stage write (issue 7).
        stageEvent ? RECORD_FIELDS_JSON : '',
        stageEvent ? newEventId() : '',
        opts.stageCompleted ?? '',
        settings.streamMaxLen,
        ...withIncrement(fieldArgs({ ...fields, updated_at: undefined }), opts.addCloudCalls),
        streamMinId(),
      ]);
      return Number(res) === 1;
    },

    async addCloudCalls(id, n) {
      if (n > 0) await INCR_SCRIPT.run(redis, [keys.attachment(id)], ['cloud_calls', n]);
    },

    async setCleanup(id, cleanup) {
      return Number(await CLEANUP_SCRIPT.run(redis, [keys.attachment(id)], [nowIso(), JSON.stringify(cleanup)])) === 1;
    },

    async list(query) {
      const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(query.limit)));
      const index = query.batch_id
        ? keys.batchItems(query.batch_id)
        : query.server_id
          ? keys.byServer(query.server_id)
          : query.status
            ? keys.byStatus(query.status)
            : keys.attachmentsIndex();
      const matches = (r: AttachmentRecord): boolean =>
        (query.status === undefined || r.status === query.status) &&
        (query.server_id === undefined || r.server_id === query.server_id) &&
        (query.batch_id === undefined || r.batch_id === query.batch_id);
      let cursor = decodeCursor(query.cursor);
      const items: AttachmentRecord[] = [];
      const chunk = Math.min(MAX_LIST_LIMIT, limit * 2);
      for (;;) {
        const page = await indexPage(index, cursor, chunk);
        if (page.length === 0) return { items };
        const records = await getMany(page.map(([id]) => id));
        for (let i = 0; i < page.length; i += 1) {
          const [id, score] = page[i] as [string, number];
          const record = records[i];
          cursor = { s: score, id };
          if (!record) {
            // The record expired (retention): drop it from this index lazily.
            await redis.zrem(index, id);
            continue;
          }
          if (!matches(record)) continue;
          items.push(record);
          if (items.length === limit) {
            const more = i < page.length - 1 || page.length === chunk;
            return more ? { items, next_cursor: encodeCursor(cursor) } : { items };
          }
        }
        if (page.length < chunk) return { items };
      }
    },

    async getBatch(id) {
      const hash = await redis.hgetall(keys.batch(id));
      if (hash.id === undefined) return null;
      const ids = await redis.zrange(keys.batchItems(id), 0, -1);
      const statuses = ids.length === 0 ? [] : await redis.pipeline(ids.map((i) => ['hget', keys.attachment(i), 'status'])).exec();
      const counts = Object.fromEntries(ATTACHMENT_STATUSES.map((s) => [s, 0])) as Record<AttachmentStatus, number>;
      for (const [err, status] of statuses ?? []) {
        if (err) throw err;
        if (typeof status === 'string' && status in counts) counts[status as AttachmentStatus] += 1;
      }
      return {
        id,
        total: Number(hash.total ?? ids.length),
        counts,
        created_at: hash.created_at ?? '',
        ...(hash.finished_at ? { finished_at: hash.finished_at } : {}),
        ...(hash.callback_url ? { callback_url: hash.callback_url } : {}),
        ...(hash.metadata ? { metadata: JSON.parse(hash.metadata) as Record<string, unknown> } : {}),
        attachment_ids: ids,
      };
    },

    async finish(id, change) {
      const res = await terminalTransition(id, change.status, change.fields ?? {}, {}, change.eventId, { addCloudCalls: change.addCloudCalls, record: change.record });
      return res.code === 1;
    },

    async cancel(id) {
      const res = await terminalTransition(id, 'cancelled', {}, { statuses: ['queued', 'running'], stages: CANCELLABLE_STAGES });
      if (res.code === -1) throw new WorkflowError('ATTACHMENT_NOT_FOUND', `attachment ${id} does not exist`, {}, { httpStatus: 404 });
      if (res.code !== 1) {
        throw new WorkflowError(
          'ATTACHMENT_NOT_CANCELLABLE',
          `attachment ${id} cannot be cancelled: it is ${res.status} at stage ${res.stage} (only queued or running attachments before the attach stage can be)`,
          { status: res.status, stage: res.stage },
          { httpStatus: 409 },
        );
      }
      const record = await get(id);
      if (!record) throw new WorkflowError('ATTACHMENT_NOT_FOUND', `attachment ${id} does not exist`, {}, { httpStatus: 404 });
      return record;
    },
  };
}
