/**
 * Redis connections, by role (design.md §2):
 * - worker: `maxRetriesPerRequest: null` (BullMQ requires it; a command waits for a reconnect instead of
 *   failing, so a Redis blip pauses workers rather than failing jobs);
 * - producer: `enableOfflineQueue: false` (fail fast when Redis is down: the API answers 503 at once);
 * Each connection is named (CLIENT SETNAME) `<prefix>:<role>` so an operator can tell them apart.
 */
import { Redis, type RedisOptions } from 'ioredis';

export type ConnectionRole = 'worker' | 'producer';

export function createRedisConnection(url: string, role: ConnectionRole, opts: { name?: string; lazyConnect?: boolean } = {}): Redis {
  const base: RedisOptions = {
    ...(opts.name ? { connectionName: opts.name.replace(/\s+/g, '_') } : {}),
    ...(opts.lazyConnect ? { lazyConnect: true } : {}),
  };
  const byRole: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  return new Redis(url, { ...base, ...byRole });
}

/** Resolve once the connection is ready, or reject after `timeoutMs` (used at start to fail with one clear message). */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
    if (redis.status === 'wait') redis.connect().catch(() => undefined);
  });
}
