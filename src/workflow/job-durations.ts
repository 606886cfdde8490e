/**
 * Recent ECS job durations in a capped Redis list (newest first), shared by every worker so the poll schedule
 * learns from all of them. Reads are cached for `cacheMs` (also across this process's own record() calls):
 * the schedule needs a distribution, not the last sample, and each fresh array costs the schedule a new model.
 * While the schedule is still cold (fewer than MIN_SAMPLES samples) nothing is cached: every read goes to
 * Redis, so each process sees the learned schedule as soon as it exists, not up to `cacheMs` later (issue 7).
 *
 * `onLearned` is called once per list, by the process whose sample is the MIN_SAMPLES-th (LPUSH answers the
 * new length atomically, so exactly one record() sees it): the queue layer then brings forward the first polls
 * scheduled on the cold guess (src/queues/poll-catch-up.ts).
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { JobDurations } from './deps.js';
import { MIN_SAMPLES } from './poll-schedule.js';
import { redisScript } from './redis-script.js';

export const JOB_DURATION_SAMPLES = 200;

/**
 * Adds a sample and caps the list, answering the new length before the cap. One command instead of
 * MULTI/LPUSH/LTRIM/EXEC (four on the connection, for every attachment that succeeds).
 * KEYS: 1 list. ARGV: 1 sample, 2 cap.
 */
const RECORD_SCRIPT = redisScript(`
local n = redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return n
`);

export interface JobDurationSettings {
  key: string;
  cap?: number;
  cacheMs?: number;
  /** The schedule has just learned: the list reached MIN_SAMPLES samples. Must not throw. */
  onLearned?: () => void;
}

export function createJobDurations(settings: JobDurationSettings, deps: { redis: Redis; clock?: Clock }): JobDurations {
  const cap = settings.cap ?? JOB_DURATION_SAMPLES;
  const cacheMs = settings.cacheMs ?? 2_000;
  const clock = deps.clock ?? systemClock;
  let cached: { at: number; values: number[] } | undefined;
  return {
    async record(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      // A warm cache is kept (the distribution barely moves with one sample); a cold one is never cached.
      const length = Number(await RECORD_SCRIPT.run(deps.redis, [settings.key], [Math.round(ms), cap]));
      if (settings.onLearned && length === MIN_SAMPLES) settings.onLearned();
    },
    async recent() {
      const now = clock.now();
      if (cached && now - cached.at < cacheMs) return cached.values;
      const values = (await deps.redis.lrange(settings.key, 0, cap - 1)).map(Number).filter((n) => Number.isFinite(n) && n >= 0);
      cached = values.length >= MIN_SAMPLES ? { at: now, values } : undefined;
      return values;
    },
  };
}
