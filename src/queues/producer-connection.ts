/**
 * The producer's Redis connection: opened to fail fast (no offline queue, bounded connect and command time,
 * reconnecting in the background), the errors that mean "Redis is unreachable" and their AppErrors
 * (REDIS_UNAVAILABLE when nothing was written, OUTCOME_UNKNOWN when a write was sent but not confirmed; both
 * HTTP 503), and the gate that lets a call wait briefly for a reconnecting Redis.
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
 * True when ioredis refused a command before writing it to the socket, so Redis never saw it: the connection
 * was not writable and the offline queue is off (rejected at the call), or the connection had already ended
 * when the command was sent (`statusAtSend`: the connection's status read right before the call). Any other
 * connectivity failure — a command timeout, a connection closed or reset while the reply was awaited,
 * MaxRetriesPerRequestError for a command that was in flight — may come after Redis ran the command.
 */
export function isUnsentCommandError(err: unknown, statusAtSend: string): boolean {
  if (!(err instanceof Error)) return false;
  if (/^Stream isn't writeable and enableOfflineQueue options is false/.test(err.message)) return true;
  return statusAtSend === 'end' && err.message === 'Connection is closed.';
}

/**
 * A record write that was sent but whose answer never came (a command timeout, the connection lost while
 * waiting): Redis may have run it, so the attachment or batch may exist and its jobs run. HTTP 503 like
 * REDIS_UNAVAILABLE ("try again later"), with its own code because "nothing was enqueued" would be a lie here:
 * with an Idempotency-Key the key stays claimed for this id, so a retry with the same key returns it (or writes
 * it under this id); without one, `details.id` is the id to look up before retrying.
 */
export function outcomeUnknown(cause: unknown, what: { kind: 'attachment' | 'batch'; id: string; idempotencyKey?: string | undefined }): AppError {
  const advice =
    what.idempotencyKey !== undefined
      ? 'retry with the same Idempotency-Key'
      : `check GET /v1/${what.kind === 'batch' ? 'batches' : 'attachments'}/${what.id} before retrying (send an Idempotency-Key to make retries safe)`;
  return new AppError('OUTCOME_UNKNOWN', `Redis did not confirm the write of ${what.kind} ${what.id}; outcome unknown; ${advice}`, {
    httpStatus: 503,
    retryable: true,
    cause,
    details: { id: what.id, ...(what.idempotencyKey === undefined ? {} : { idempotency_key: what.idempotencyKey }) },
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
