/**
 * One socket write per tick on a coalesced connection: commands issued together leave in one write and
 * still get their own answers, in order; later ticks and a new socket after a reconnect are coalesced too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { coalesceWritesPerTick } from '../../../src/queues/coalesce-writes.js';

/** Counts the writes that reach the socket's underlying handle (one per _write or _writev). */
function countHandleWrites(redis: Redis): { readonly count: number } {
  const socket = (redis as unknown as { stream: Socket & { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void } }).stream;
  const counter = { count: 0 };
  const w = socket._write.bind(socket);
  socket._write = (...a: unknown[]) => {
    counter.count += 1;
    w(...a);
  };
  const wv = socket._writev?.bind(socket);
  if (wv) {
    socket._writev = (...a: unknown[]) => {
      counter.count += 1;
      wv(...a);
    };
  }
  return counter;
}

describe('coalesced Redis writes', () => {
  const prefix = freshPrefix('cw');
  let redis: Redis;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    coalesceWritesPerTick(redis);
    await redis.ping();
  });
  after(async () => {
    await dropPrefix(TEST_REDIS_URL, prefix);
    redis?.disconnect();
  });

  it('sends the commands of one tick in one write, each with its own answer', async () => {
    const writes = countHandleWrites(redis);
    const n = 100;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => redis.incrby(`${prefix}:n`, i === 0 ? 1 : 0).then(() => redis.set(`${prefix}:k${i}`, String(i)))));
    assert.equal(answers.length, n);
    assert.ok(writes.count <= 3, `${2 * n} commands in ${writes.count} writes`);
    const values = await Promise.all(Array.from({ length: n }, (_, i) => redis.get(`${prefix}:k${i}`)));
    assert.deepEqual(values, Array.from({ length: n }, (_, i) => String(i)));
  });

  it('keeps coalescing on the new socket after a reconnect', async () => {
    const reconnected = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    (redis as unknown as { stream: Socket }).stream.destroy();
    await reconnected;
    const writes = countHandleWrites(redis);
    const values = await Promise.all(Array.from({ length: 50 }, (_, i) => redis.get(`${prefix}:k${i}`)));
    assert.deepEqual(values, Array.from({ length: 50 }, (_, i) => String(i)));
    assert.ok(writes.count <= 2, `50 commands in ${writes.count} writes`);
  });
});
