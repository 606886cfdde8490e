/**
 * Webhook subscriptions: one Redis hash per subscription (`<prefix>:wh:sub:<id>`) plus a sorted set index by
 * creation time (`<prefix>:wh:subs`). The secret is returned once, by create and rotateSecret; list and get
 * never return secrets. After a rotation the previous secret keeps signing for webhook.secretOverlapHours, so
 * receivers can switch without losing a delivery (both signatures are sent meanwhile).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../lib/clock.js';
import { AppError, ValidationError } from '../lib/errors.js';
import type { Keys } from '../workflow/keys.js';
import { EVENT_TYPES, type EventType } from '../workflow/types.js';
import { assertUrlAllowed, type Resolver } from './outbound-guard.js';
import { generateSecret } from './signing.js';
import type { PublicSubscription, Subscription, SubscriptionSecret } from './types.js';

export const SUBSCRIPTION_NOT_FOUND = 'WEBHOOK_NOT_FOUND';

export interface CreateSubscriptionInput {
  url: string;
  events?: string[];
  description?: string;
}

export interface SubscriptionStore {
  /** Validates the URL (form and resolved addresses) and the event types; returns the secret once. */
  create(input: CreateSubscriptionInput): Promise<PublicSubscription & { secret: string }>;
  list(): Promise<PublicSubscription[]>;
  get(id: string): Promise<PublicSubscription | undefined>;
  /** With secrets: for the delivery worker only. */
  getFull(id: string): Promise<Subscription | undefined>;
  delete(id: string): Promise<boolean>;
  rotateSecret(id: string): Promise<{ secret: string; previous_secret_expires_at: string } | undefined>;
  /** Secrets that sign now, newest first (expired ones left out). */
  activeSecrets(sub: Subscription): string[];
  /** Enabled subscriptions whose filter matches the event type. */
  matching(type: EventType): Promise<Subscription[]>;
  disable(id: string, reason: string): Promise<void>;
  /**
   * Re-enables a subscription (disabled by a 410 or a long failing run, or enabled already) and resets its
   * failure window (failing_since), so it gets deliveries again and has the full disableAfterHours before it can
   * be disabled again. Undefined when there is no such subscription.
   */
  enable(id: string): Promise<PublicSubscription | undefined>;
  /**
   * A failed attempt: starts a failing run (or continues the current one), and disables the subscription when the
   * run has lasted disableAfterHours. A run is continuous failure: when the previous failure is more than
   * `maxGapMs` ago (the longest wait between two attempts of a failing delivery, see runGapMs in ./delivery.ts),
   * the endpoint may have worked meanwhile without being asked, so a new run starts. Returns true when it disabled.
   */
  noteFailure(id: string, opts: { maxGapMs: number }): Promise<boolean>;
  noteSuccess(id: string): Promise<void>;
}

export interface SubscriptionStoreDeps {
  redis: Redis;
  keys: Keys;
  allowPrivate: boolean;
  secretOverlapHours: number;
  disableAfterHours: number;
  clock?: Clock;
  resolve?: Resolver;
}

const ID_RE = /^wh_[0-9a-f-]{36}$/;

export function isSubscriptionId(id: string): boolean {
  return ID_RE.test(id);
}

function toPublic(sub: Subscription): PublicSubscription {
  const { secrets: _secrets, ...rest } = sub;
  return rest;
}

function fromHash(h: Record<string, string>): Subscription | undefined {
  if (!h.id || !h.url) return undefined;
  const sub: Subscription = {
    id: h.id,
    url: h.url,
    events: JSON.parse(h.events ?? '[]') as EventType[],
    description: h.description ?? '',
    enabled: h.enabled === '1',
    created_at: h.created_at ?? '',
    secrets: JSON.parse(h.secrets ?? '[]') as SubscriptionSecret[],
  };
  if (h.disabled_at) sub.disabled_at = h.disabled_at;
  if (h.disabled_reason) sub.disabled_reason = h.disabled_reason;
  if (h.failing_since) sub.failing_since = h.failing_since;
  return sub;
}

function validateEvents(events: string[] | undefined): EventType[] {
  const list = [...new Set(events ?? [])];
  const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new ValidationError(`unknown event type(s): ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`, { unknown }, 'WEBHOOK_EVENT_TYPE_UNKNOWN');
  }
  return list as EventType[];
}

/**
 * A failed attempt (ARGV: 1 now ISO, 2 now ms, 3 longest gap ms): records it (last_failure_ms) and returns the
 * failing run's start, starting a new run when there is none or when the previous failure is more than the
 * longest gap ago. Why not clear the run when a delivery is dead-lettered instead: with steady traffic to a dead
 * endpoint some delivery dies every ~28 h, which would restart the window each time and never disable it. A run
 * from before last_failure_ms existed (no such field) restarts too: a stale one is what this guards against.
 */
const NOTE_FAILURE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local cur = redis.call('HMGET', KEYS[1], 'failing_since', 'last_failure_ms')
local since, last = cur[1], tonumber(cur[2])
if not since or not last or tonumber(ARGV[2]) - last > tonumber(ARGV[3]) then
  since = ARGV[1]
  redis.call('HSET', KEYS[1], 'failing_since', since)
end
redis.call('HSET', KEYS[1], 'last_failure_ms', ARGV[2])
return since`;

// Only when it exists (a concurrent delete must not resurrect a partial hash).
const ENABLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'enabled', '1')
redis.call('HDEL', KEYS[1], 'disabled_at', 'disabled_reason', 'failing_since', 'last_failure_ms')
return 1`;

const SWAP_SECRETS = `
if redis.call('HGET', KEYS[1], 'secrets') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'secrets', ARGV[2])
return 1`;

export function createSubscriptionStore(deps: SubscriptionStoreDeps): SubscriptionStore {
  const { redis, keys } = deps;
  const clock = deps.clock ?? systemClock;
  const subKey = (id: string): string => keys.custom('wh', 'sub', id);
  const indexKey = keys.custom('wh', 'subs');
  const iso = (ms: number): string => new Date(ms).toISOString();

  const getFull = async (id: string): Promise<Subscription | undefined> => {
    if (!isSubscriptionId(id)) return undefined;
    return fromHash(await redis.hgetall(subKey(id)));
  };

  const all = async (): Promise<Subscription[]> => {
    const ids = await redis.zrange(indexKey, 0, -1);
    if (ids.length === 0) return [];
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hgetall(subKey(id));
    const res = (await pipe.exec()) ?? [];
    const out: Subscription[] = [];
    for (const [err, h] of res) {
      if (err) throw err;
      const sub = fromHash(h as Record<string, string>);
      if (sub) out.push(sub);
    }
    return out;
  };

  const activeSecrets = (sub: Subscription): string[] => {
    const now = clock.now();
    return sub.secrets.filter((s) => s.expires_at === undefined || Date.parse(s.expires_at) > now).map((s) => s.secret);
  };

  const disable = async (id: string, reason: string): Promise<void> => {
    // HSET only if it still exists (a concurrent delete must not resurrect a partial hash).
    await redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'enabled', '0', 'disabled_at', ARGV[1], 'disabled_reason', ARGV[2]) end return 1`,
      1,
      subKey(id),
      iso(clock.now()),
      reason,
    );
  };

  return {
    async create(input) {
      const url = (await assertUrlAllowed(input.url, { allowPrivate: deps.allowPrivate, ...(deps.resolve ? { resolve: deps.resolve } : {}) })).toString();
      const events = validateEvents(input.events);
      const now = clock.now();
      const secret = generateSecret();
      const sub: Subscription = {
        id: `wh_${randomUUID()}`,
        url,
        events,
        description: input.description ?? '',
        enabled: true,
        created_at: iso(now),
        secrets: [{ secret, created_at: iso(now) }],
      };
      await redis
        .multi()
        .hset(subKey(sub.id), {
          id: sub.id,
          url: sub.url,
          events: JSON.stringify(sub.events),
          description: sub.description,
          enabled: '1',
          created_at: sub.created_at,
          secrets: JSON.stringify(sub.secrets),
        })
        .zadd(indexKey, now, sub.id)
        .exec();
      return { ...toPublic(sub), secret };
    },

    async list() {
      return (await all()).map(toPublic);
    },

    async get(id) {
      const sub = await getFull(id);
      return sub ? toPublic(sub) : undefined;
    },

    getFull,

    async delete(id) {
      if (!isSubscriptionId(id)) return false;
      const res = await redis.multi().del(subKey(id)).zrem(indexKey, id).exec();
      return res?.[0]?.[1] === 1;
    },

    async rotateSecret(id) {
      if (!isSubscriptionId(id)) return undefined;
      const key = subKey(id);
      // Compare-and-set on the secrets field: two concurrent rotations must not lose a secret. (No WATCH: the
      // connection is shared, and WATCH state belongs to the connection.)
      for (let i = 0; i < 10; i++) {
        const h = await redis.hgetall(key);
        const sub = fromHash(h);
        if (!sub || h.secrets === undefined) return undefined;
        const now = clock.now();
        const expiresAt = iso(now + deps.secretOverlapHours * 3_600_000);
        const secret = generateSecret();
        // Secrets still valid keep signing until the overlap ends (or their own earlier end).
        const kept = sub.secrets
          .filter((s) => s.expires_at === undefined || Date.parse(s.expires_at) > now)
          .map((s) => ({ ...s, expires_at: s.expires_at !== undefined && Date.parse(s.expires_at) < Date.parse(expiresAt) ? s.expires_at : expiresAt }));
        const secrets: SubscriptionSecret[] = [{ secret, created_at: iso(now) }, ...kept];
        const swapped = await redis.eval(SWAP_SECRETS, 1, key, h.secrets, JSON.stringify(secrets));
        if (swapped === 1) return { secret, previous_secret_expires_at: expiresAt };
      }
      throw new AppError('WEBHOOK_ROTATION_CONFLICT', 'the secret is being rotated concurrently; try again', { httpStatus: 409, retryable: true });
    },

    activeSecrets,

    async matching(type) {
      return (await all()).filter((s) => s.enabled && (s.events.length === 0 || s.events.includes(type)));
    },

    disable,

    async enable(id) {
      if (!isSubscriptionId(id)) return undefined;
      if (Number(await redis.eval(ENABLE, 1, subKey(id))) !== 1) return undefined;
      const sub = await getFull(id);
      return sub ? toPublic(sub) : undefined;
    },

    async noteFailure(id, opts) {
      const now = clock.now();
      const since = (await redis.eval(NOTE_FAILURE, 1, subKey(id), iso(now), now, Math.max(0, Math.floor(opts.maxGapMs)))) as string | null;
      if (!since) return false;
      if (now - Date.parse(since) >= deps.disableAfterHours * 3_600_000) {
        await disable(id, `endpoint failing since ${since} (failing continuously, without a successful delivery, for more than ${deps.disableAfterHours} h)`);
        return true;
      }
      return false;
    },

    async noteSuccess(id) {
      await redis.hdel(subKey(id), 'failing_since', 'last_failure_ms');
    },
  };
}
