/**
 * "Workers progressing", for /readyz: every process that runs the workflow workers refreshes a heartbeat
 * (its member in the sorted set `<prefix>:worker-heartbeats`, scored with Redis's own clock) every few
 * seconds — but only while its workers run (not closing, not paused). A refresh needs the process's event
 * loop to turn, its Redis writes to succeed and its workers to be taking jobs, so a fresh heartbeat means a
 * worker that can make progress; a hung, killed or partitioned one goes stale within `staleMs`.
 *
 * Any process (an API-only one too) answers "are workers alive?" by counting fresh members, with one ZCOUNT:
 * no SCAN over the keyspace, and no clock skew between machines (Redis's TIME on both sides).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ReadinessCheck } from '../api/routes/health.js';
import type { Logger } from '../lib/logger.js';
import type { Keys } from '../workflow/keys.js';
import { redisScript } from '../workflow/redis-script.js';

export const HEARTBEAT_INTERVAL_MS = 5_000;

/** ARGV: member, stale ms. Adds/refreshes the member at Redis's time, drops members stale for long. */
const BEAT = redisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 10 * tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], 10 * tonumber(ARGV[2]))
return now
`);

/** ARGV: stale ms. Members refreshed within it. */
const COUNT = redisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf')
`);

export function heartbeatKey(keys: Keys): string {
  return keys.custom('worker-heartbeats');
}

export interface WorkerHeartbeat {
  /** This process's member name (host:pid:random). */
  readonly id: string;
  /** Beats once at once, then every interval. */
  start(): Promise<void>;
  /** Stops beating and removes this process's member (it no longer takes jobs). */
  stop(): Promise<void>;
}

export interface WorkerHeartbeatDeps {
  redis: Redis;
  keys: Keys;
  /** True while this process's workers run and take jobs. */
  isRunning: () => boolean;
  logger: Logger;
  intervalMs?: number;
}

export function createWorkerHeartbeat(deps: WorkerHeartbeatDeps): WorkerHeartbeat {
  const intervalMs = deps.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const key = heartbeatKey(deps.keys);
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;

  const beat = async (): Promise<void> => {
    if (!deps.isRunning()) return;
    try {
      await BEAT.run(deps.redis, [key], [id, 3 * intervalMs]);
      if (failing) deps.logger.info('worker heartbeat restored');
      failing = false;
    } catch (err) {
      if (!failing) deps.logger.warn({ err: err instanceof Error ? err.message : String(err), code: 'HEARTBEAT_FAILED' }, 'worker heartbeat could not be written');
      failing = true;
    }
  };

  return {
    id,
    async start() {
      await beat();
      timer = setInterval(() => void beat(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await deps.redis.zrem(key, id).catch(() => undefined);
    },
  };
}

export interface WorkerLiveness {
  /** Worker processes with a fresh heartbeat. */
  count(): Promise<number>;
  /** The /readyz check: ok when at least one worker process is alive. */
  check(): Promise<ReadinessCheck>;
}

export function createWorkerLiveness(deps: { redis: Redis; keys: Keys; intervalMs?: number }): WorkerLiveness {
  const staleMs = 3 * (deps.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  const key = heartbeatKey(deps.keys);
  const count = async (): Promise<number> => Number(await COUNT.run(deps.redis, [key], [staleMs]));
  return {
    count,
    async check() {
      const n = await count();
      return n > 0
        ? { ok: true, detail: `${n} worker process${n === 1 ? '' : 'es'} alive` }
        : { ok: false, detail: `no worker process has refreshed its heartbeat in the last ${staleMs} ms (start one with \`nic-attach worker\`)` };
    },
  };
}
