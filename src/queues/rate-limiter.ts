/**
 * The cloud rate limit shared by every worker of a project (all processes, all queues): a token bucket in one
 * Redis hash (keys.rateLimit(projectId)) refilled at `rps` tokens per second, holding at most one second's
 * worth, on Redis' own clock (TIME) so that processes on different machines agree. A throttled answer (429 /
 * APIGW.0308) pauses the whole bucket for Retry-After. Plugged into the cloud client's `beforeCall`.
 */
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisScript } from '../workflow/redis-script.js';

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Returns 0 when a token was taken, else the ms to wait before trying again. */
const TAKE = redisScript(`${NOW}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused_until')
local paused = tonumber(h[3] or '0')
if paused > now then return paused - now end
local tokens = tonumber(h[1] or ARGV[2])
local ts = tonumber(h[2] or now)
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
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
  /** Waits until a token is taken. */
  take(): Promise<void>;
  /** Every worker holds its cloud calls for `ms` (a 429 / APIGW.0308 answer). */
  pauseFor(ms: number): Promise<void>;
}

export function createCloudRateLimiter(settings: { key: string; rps: number }, deps: { redis: Redis }): CloudRateLimiter {
  const burst = Math.max(1, settings.rps);
  const tryTake = async (): Promise<number> => Number(await TAKE.run(deps.redis, [settings.key], [settings.rps, burst]));
  return {
    tryTake,
    async take() {
      for (;;) {
        const waitMs = await tryTake();
        if (waitMs <= 0) return;
        await sleep(Math.min(waitMs, 1_000));
      }
    },
    async pauseFor(ms) {
      await PAUSE.run(deps.redis, [settings.key], [Math.max(0, Math.round(ms))]);
    },
  };
}
