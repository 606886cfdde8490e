/**
 * Recent ECS job durations in a capped Redis list (newest first), shared by every worker so the poll schedule
 * learns from all of them. Reads are cached briefly: the schedule needs a distribution, not the last sample.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { JobDurations } from './deps.js';

export const JOB_DURATION_SAMPLES = 200;

export function createJobDurations(settings: { key: string; cap?: number; cacheMs?: number }, deps: { redis: Redis; clock?: Clock }): JobDurations {
  const cap = settings.cap ?? JOB_DURATION_SAMPLES;
  const cacheMs = settings.cacheMs ?? 2_000;
  const clock = deps.clock ?? systemClock;
  let cached: { at: number; values: number[] } | undefined;
  return {
    async record(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      await deps.redis.multi().lpush(settings.key, String(Math.round(ms))).ltrim(settings.key, 0, cap - 1).exec();
      cached = undefined;
    },
    async recent() {
      const now = clock.now();
      if (cached && now - cached.at < cacheMs) return cached.values;
      const values = (await deps.redis.lrange(settings.key, 0, cap - 1)).map(Number).filter((n) => Number.isFinite(n) && n >= 0);
      cached = { at: now, values };
      return values;
    },
  };
}
