/**
 * The cloud rate limit shared by every worker of a project (all processes, all queues): a token bucket in one
 * Redis hash (keys.rateLimit(projectId)) refilled at `rps` tokens per second, holding at most one second's
 * worth, on Redis' own clock (TIME) so that processes on different machines agree. A throttled answer (429 /
 * APIGW.0308) pauses the whole bucket for Retry-After. Plugged into the cloud client's `beforeCall`.
 *
 * Takes are coalesced per process: while one script call is on its way, the calls that arrive queue up, and
 * the next script call asks for as many tokens as there are callers waiting (up to MAX_BATCH) — one Redis
 * round trip for a whole burst instead of one per cloud call (issue 7: at high concurrency the per-call
 * round trip was a measurable share of the workers' CPU). The limit is honoured exactly as before: a token
 * is only ever granted to a caller that is waiting for it and makes its call at once — none is prefetched or
 * kept for later, so nothing can be spent after a pause began or beyond the bucket's rate. Callers that get
 * no token wait for what the script says (at most 1 s) and are asked for again, first come first served.
 */
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisScript } from '../workflow/redis-script.js';

/** Most tokens asked for in one script call (bounds the script's work; more waiters take another call). */
export const MAX_BATCH = 256;

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Takes up to ARGV[3] tokens. Returns {granted, waitMs}: waitMs is 0 when all were granted, else how long
 * until the next token (or the end of a pause; then granted is 0).
 */
const TAKE = redisScript(`${NOW}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused_until')
local paused = tonumber(h[3] or '0')
if paused > now then return {0, paused - now} end
local tokens = tonumber(h[1] or ARGV[2])
local ts = tonumber(h[2] or now)
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < want then wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate)) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], 60000)
return {granted, wait}
`);

const PAUSE = redisScript(`${NOW}
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if untilMs > cur then redis.call('HSET', KEYS[1], 'paused_until', untilMs) end
redis.call('PEXPIRE', KEYS[1], math.max(60000, tonumber(ARGV[1]) + 1000))
return untilMs
`);

export interface CloudRateLimiter {
  /** Takes one token; 0, or how many ms to wait before trying again. */
  tryTake(): Promise<number>;
  /** Waits until a token is taken (coalesced with the other callers waiting in this process). */
  take(): Promise<void>;
  /** Every worker holds its cloud calls for `ms` (a 429 / APIGW.0308 answer). */
  pauseFor(ms: number): Promise<void>;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export function createCloudRateLimiter(settings: { key: string; rps: number }, deps: { redis: Redis }): CloudRateLimiter {
  const burst = Math.max(1, settings.rps);
  const takeUpTo = async (want: number): Promise<{ granted: number; waitMs: number }> => {
    const [granted, waitMs] = (await TAKE.run(deps.redis, [settings.key], [settings.rps, burst, want])) as [number, number];
    return { granted: Number(granted), waitMs: Number(waitMs) };
  };

  const waiters: Waiter[] = [];
  let pumping = false;
  /** One loop per process serves every waiter: one script call per round, for all that are waiting then. */
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiters.length > 0) {
        const want = Math.min(waiters.length, MAX_BATCH);
        let res: { granted: number; waitMs: number };
        try {
          res = await takeUpTo(want);
        } catch (err) {
          for (const w of waiters.splice(0, want)) w.reject(err);
          continue;
        }
        for (const w of waiters.splice(0, res.granted)) w.resolve();
        if (res.granted < want) await sleep(Math.min(Math.max(1, res.waitMs), 1_000));
      }
    } finally {
      pumping = false;
    }
  };

  return {
    async tryTake() {
      const { granted, waitMs } = await takeUpTo(1);
      return granted >= 1 ? 0 : Math.max(1, waitMs);
    },
    take() {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        void pump();
      });
    },
    async pauseFor(ms) {
      await PAUSE.run(deps.redis, [settings.key], [Math.max(0, Math.round(ms))]);
    },
  };
}
