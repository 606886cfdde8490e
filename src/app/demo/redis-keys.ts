/** Drops every key under a prefix (the demo's and the benchmarks' own), with SCAN + UNLINK in pages. */
import { Redis } from 'ioredis';

export async function dropKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  await redis.connect();
  let dropped = 0;
  try {
    // The prefix may be a hash tag ({…}); escape the glob characters SCAN MATCH knows.
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) dropped += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return dropped;
}
