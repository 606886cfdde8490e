/** At start: is Redis there? One clear message when it is not. */
import { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

export async function checkRedis(url: string, timeoutMs = 3_000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  // connect() rejects with "Connection is closed." when the retry strategy gives up; the socket's own error
  // (ECONNREFUSED, ENOTFOUND, NOAUTH …) says why, so report that one.
  let socketError: Error | undefined;
  probe.on('error', (e: Error) => {
    socketError ??= e;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const why = socketError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new AppError(
      'REDIS_UNAVAILABLE',
      `Cannot reach Redis at ${redactRedisUrl(url)} (${why}).\n` +
        'nic-attach keeps its queues and records in Redis. Start one with `docker compose up -d redis`, ' +
        'or run a local `redis-server`, or point REDIS_URL at yours.',
      { cause: err },
    );
  } finally {
    probe.disconnect();
  }
}
