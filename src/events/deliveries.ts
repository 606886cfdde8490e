/**
 * Delivery records: one Redis hash per delivery (`<prefix>:wh:dlv:<id>`, with the signed body as `payload`),
 * its attempts as a list (`<prefix>:wh:dlv-attempts:<id>`, the last 100), an index per subscription (sorted
 * set by creation time; callback_url deliveries share `<prefix>:wh:callback-dlv`) and the dead-letter list
 * (`<prefix>:wh:dead`, newest first). Finished deliveries expire after the record retention.
 *
 * One writer at a time: while a delivery is `pending` only its queue job writes it; replay only starts a new
 * series from a finished state (checked atomically), so the two never race.
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Keys } from '../workflow/keys.js';
import type { EventType } from '../workflow/types.js';
import type { Delivery, DeliveryAttempt, DeliveryStatus, DeliveryTarget } from './types.js';

const MAX_ATTEMPTS_KEPT = 100;
const MAX_DEAD_KEPT = 10_000;

/** A delivery as the dispatcher creates it: the record's identity fields, plus the payload to send (kept apart). */
export type NewDelivery = Pick<Delivery, 'id' | 'event_id' | 'event_type' | 'target' | 'subscription_id' | 'url'> & { payload: string };

export type AttemptResult =
  | { status: 'pending'; next_attempt_at: string }
  | { status: Exclude<DeliveryStatus, 'pending'> };

export interface DeliveryPage {
  deliveries: Delivery[];
  next_cursor: string | null;
}

export interface DeliveryStore {
  /** Create unless it exists; returns the stored delivery either way. */
  create(d: NewDelivery): Promise<{ created: boolean; delivery: Delivery }>;
  get(id: string): Promise<Delivery | undefined>;
  payload(id: string): Promise<string | undefined>;
  /** Append an attempt and move the delivery on (next attempt, or a final status). */
  recordAttempt(id: string, attempt: DeliveryAttempt, result: AttemptResult, lastError?: string): Promise<void>;
  /** End a pending delivery without an attempt (subscription gone, job failed for good). */
  finish(id: string, status: Exclude<DeliveryStatus, 'pending'>, reason: string): Promise<void>;
  /** Start a new attempt series: 'pending' when one is running, undefined when unknown; else the new series. */
  replay(id: string): Promise<number | 'pending' | undefined>;
  listForSubscription(subscriptionId: string, opts: { status?: DeliveryStatus; limit: number; cursor?: string }): Promise<DeliveryPage>;
  listDead(opts: { limit: number; cursor?: string }): Promise<DeliveryPage>;
}

export interface DeliveryStoreDeps {
  redis: Redis;
  keys: Keys;
  retentionDays: number;
  clock?: Clock;
}

const FIELDS = [
  'id',
  'event_id',
  'event_type',
  'target',
  'subscription_id',
  'url',
  'status',
  'series',
  'attempt_count',
  'created_at',
  'updated_at',
  'next_attempt_at',
  'finished_at',
  'last_error',
] as const;

// Create if absent, index it, and trim index entries older than the retention (their records have expired).
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
return 1`;

const REPLAY = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st == 'pending' then return -2 end
local series = redis.call('HINCRBY', KEYS[1], 'series', 1)
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempt_count', 0, 'updated_at', ARGV[1])
redis.call('HDEL', KEYS[1], 'finished_at', 'next_attempt_at')
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
redis.call('LREM', KEYS[3], 0, ARGV[2])
return series`;

export function isDeliveryId(id: string): boolean {
  return /^evt_[0-9a-f-]{36}\.(wh_[0-9a-f-]{36}|cb)$/.test(id);
}

function fromFields(values: ReadonlyArray<string | null>, attempts: DeliveryAttempt[]): Delivery | undefined {
  const h: Partial<Record<(typeof FIELDS)[number], string>> = {};
  FIELDS.forEach((f, i) => {
    const v = values[i];
    if (v !== null && v !== undefined && v !== '') h[f] = v;
  });
  if (!h.id || !h.event_id) return undefined;
  const d: Delivery = {
    id: h.id,
    event_id: h.event_id,
    event_type: h.event_type as EventType,
    target: h.target as DeliveryTarget,
    url: h.url ?? '',
    status: h.status as DeliveryStatus,
    series: Number(h.series ?? 0),
    attempt_count: Number(h.attempt_count ?? 0),
    created_at: h.created_at ?? '',
    updated_at: h.updated_at ?? '',
    attempts,
  };
  if (h.subscription_id) d.subscription_id = h.subscription_id;
  if (h.next_attempt_at) d.next_attempt_at = h.next_attempt_at;
  if (h.finished_at) d.finished_at = h.finished_at;
  if (h.last_error) d.last_error = h.last_error;
  return d;
}

export function createDeliveryStore(deps: DeliveryStoreDeps): DeliveryStore {
  const { redis, keys } = deps;
  const clock = deps.clock ?? systemClock;
  const retentionMs = deps.retentionDays * 86_400_000;
  const dlvKey = (id: string): string => keys.custom('wh', 'dlv', id);
  const attemptsKey = (id: string): string => keys.custom('wh', 'dlv-attempts', id);
  const indexKey = (subscriptionId: string | undefined): string =>
    subscriptionId ? keys.custom('wh', 'sub-dlv', subscriptionId) : keys.custom('wh', 'callback-dlv');
  const deadKey = keys.custom('wh', 'dead');
  const iso = (): string => new Date(clock.now()).toISOString();

  const loadMany = async (ids: readonly string[]): Promise<Array<Delivery | undefined>> => {
    if (ids.length === 0) return [];
    const pipe = redis.pipeline();
    for (const id of ids) {
      pipe.hmget(dlvKey(id), ...FIELDS);
      pipe.lrange(attemptsKey(id), 0, -1);
    }
    const res = (await pipe.exec()) ?? [];
    const out: Array<Delivery | undefined> = [];
    for (let i = 0; i < ids.length; i++) {
      const [e1, fields] = res[2 * i] ?? [null, []];
      const [e2, attempts] = res[2 * i + 1] ?? [null, []];
      if (e1) throw e1;
      if (e2) throw e2;
      out.push(fromFields(fields as Array<string | null>, (attempts as string[]).map((a) => JSON.parse(a) as DeliveryAttempt)));
    }
    return out;
  };

  const get = async (id: string): Promise<Delivery | undefined> => (await loadMany([id]))[0];

  type Multi = ReturnType<Redis['multi']>;
  /** Queue the commands that end a delivery onto a transaction. */
  const addEnd = (m: Multi, id: string, status: Exclude<DeliveryStatus, 'pending'>, now: string): Multi => {
    m.hset(dlvKey(id), 'status', status, 'updated_at', now, 'finished_at', now).hdel(dlvKey(id), 'next_attempt_at');
    m.pexpire(dlvKey(id), retentionMs).pexpire(attemptsKey(id), retentionMs);
    if (status === 'dead') m.lrem(deadKey, 0, id).lpush(deadKey, id).ltrim(deadKey, 0, MAX_DEAD_KEPT - 1);
    return m;
  };

  const page = async (key: string, kind: 'zset' | 'list', opts: { status?: DeliveryStatus; limit: number; cursor?: string }): Promise<DeliveryPage> => {
    let offset = opts.cursor ? Number(opts.cursor) : 0;
    if (!Number.isInteger(offset) || offset < 0) offset = 0;
    const found: Delivery[] = [];
    const chunk = Math.max(opts.limit, 50);
    // Scan at most a few chunks per page when filtering, so one request stays cheap.
    for (let scanned = 0; found.length < opts.limit && scanned < chunk * 20; scanned += chunk) {
      const ids = kind === 'zset' ? await redis.zrevrange(key, offset, offset + chunk - 1) : await redis.lrange(key, offset, offset + chunk - 1);
      if (ids.length === 0) return { deliveries: found, next_cursor: null };
      const loaded = await loadMany(ids);
      for (let i = 0; i < ids.length; i++) {
        offset++;
        const d = loaded[i];
        if (d && (opts.status === undefined || d.status === opts.status)) {
          found.push(d);
          if (found.length === opts.limit) break;
        }
      }
      if (ids.length < chunk && found.length < opts.limit) return { deliveries: found, next_cursor: null };
    }
    return { deliveries: found, next_cursor: String(offset) };
  };

  return {
    async create(d) {
      const now = clock.now();
      const nowIso = new Date(now).toISOString();
      const fields: string[] = [
        'id', d.id, 'event_id', d.event_id, 'event_type', d.event_type, 'target', d.target, 'url', d.url, 'status', 'pending',
        'series', '0', 'attempt_count', '0', 'created_at', nowIso, 'updated_at', nowIso, 'payload', d.payload,
      ];
      if (d.subscription_id) fields.push('subscription_id', d.subscription_id);
      const created = (await redis.eval(CREATE, 2, dlvKey(d.id), indexKey(d.subscription_id), now, d.id, now - retentionMs, ...fields)) === 1;
      const delivery = await get(d.id);
      if (!delivery) throw new Error(`delivery ${d.id} vanished right after creation`);
      return { created, delivery };
    },

    get,

    async payload(id) {
      return (await redis.hget(dlvKey(id), 'payload')) ?? undefined;
    },

    async recordAttempt(id, attempt, result, lastError) {
      const now = iso();
      const m = redis.multi().rpush(attemptsKey(id), JSON.stringify(attempt)).ltrim(attemptsKey(id), -MAX_ATTEMPTS_KEPT, -1).hincrby(dlvKey(id), 'attempt_count', 1);
      if (lastError !== undefined) m.hset(dlvKey(id), 'last_error', lastError);
      else m.hdel(dlvKey(id), 'last_error');
      if (result.status === 'pending') m.hset(dlvKey(id), 'updated_at', now, 'next_attempt_at', result.next_attempt_at);
      else addEnd(m, id, result.status, now);
      await m.exec();
    },

    async finish(id, status, reason) {
      const m = addEnd(redis.multi(), id, status, iso()).hset(dlvKey(id), 'last_error', reason);
      await m.exec();
    },

    async replay(id) {
      const res = (await redis.eval(REPLAY, 3, dlvKey(id), attemptsKey(id), deadKey, iso(), id)) as number;
      if (res === -1) return undefined;
      if (res === -2) return 'pending';
      return res;
    },

    listForSubscription(subscriptionId, opts) {
      return page(indexKey(subscriptionId), 'zset', opts);
    },

    listDead(opts) {
      return page(deadKey, 'list', opts);
    },
  };
}
