/**
 * The producer's Redis connection: opened to fail fast (no offline queue, bounded connect and command time,
 * reconnecting in the background), the errors that mean "Redis is unreachable" and their AppError
 * (REDIS_UNAVAILABLE, HTTP 503), and the gate that lets a call wait briefly for a reconnecting Redis.
 */
import { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { waitForRedis } from './connections.js';

/** Errors that mean "Redis cannot be reached now", as ioredis and BullMQ raise them. */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  return /Stream isn't writeable|enableOfflineQueue|Connection is closed|Command timed out|connect ETIMEDOUT|ECONNREFUSED|Redis connection lost|Reached the max retries/i.test(err.message);
}

export function redisUnavailable(cause: unknown): AppError {
  return new AppError('REDIS_UNAVAILABLE', 'Redis is unreachable; nothing was enqueued, retry later', {
    httpStatus: 503,
    retryable: true,
    cause,
  });
}

/**
 * Readiness of a connection as the producer sees it: a call made while the connection is (re)connecting waits
 * for it up to `waitMs`; once it has been down longer than that, calls fail at once (no pile-up of waiting
 * requests during an outage).
 */
export function createReadyGate(redis: Redis, waitMs: number, clock: Clock): { wait(): Promise<void>; dispose(): void } {
  let downSince: number | undefined = redis.status === 'ready' ? undefined : clock.now();
  const markUp = (): void => {
    downSince = undefined;
  };
  const markDown = (): void => {
    downSince ??= clock.now();
  };
  redis.on('ready', markUp);
  redis.on('close', markDown);
  redis.on('reconnecting', markDown);
  redis.on('end', markDown);
  return {
    async wait() {
      if (redis.status === 'ready') return;
      const down = clock.now() - (downSince ?? clock.now());
      const left = waitMs - down;
      if (left <= 0 || redis.status === 'end') throw redisUnavailable(new Error(`connection is ${redis.status}`));
      try {
        await waitForRedis(redis, left);
      } catch (err) {
        throw redisUnavailable(err);
      }
    },
    // A connection the caller owns outlives the producer: leave no listeners on it.
    dispose() {
      redis.off('ready', markUp);
      redis.off('close', markDown);
      redis.off('reconnecting', markDown);
      redis.off('end', markDown);
    },
  };
}

/** The fail-fast connection of a producer (HTTP API, library users that pass a URL). */
export function createProducerConnection(url: string, opts: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    commandTimeout: opts.commandTimeoutMs ?? 2000,
    maxRetriesPerRequest: 1,
    // Keep reconnecting in the background (capped at 2 s), so the API recovers by itself when Redis returns.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    connectionName: 'nic-attach-producer',
  });
  // Errors surface on the calls that fail; an unhandled 'error' event would crash the process.
  redis.on('error', () => undefined);
  return redis;
}
