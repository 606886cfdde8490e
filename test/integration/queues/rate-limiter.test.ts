/**
 * The shared cloud rate limiter on a real Redis: concurrent takes of one process are served by a few script
 * calls (not one each), yet never more tokens than the bucket holds plus its refill; two limiters on the same
 * key share one budget; a pause holds every taker until it ends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { createCloudRateLimiter } from '../../../src/queues/rate-limiter.js';

/** Counts the EVALSHA/EVAL commands a connection sends (the limiter's script calls). */
function countScripts(redis: Redis): { readonly count: number } {
  const counter = { count: 0 };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((cmd: { name: string }) => {
    if (cmd.name === 'evalsha' || cmd.name === 'eval') counter.count += 1;
    return send(cmd as Parameters<typeof send>[0]);
  }) as typeof redis.sendCommand;
  return counter;
}

describe('cloud rate limiter', () => {
  const prefix = freshPrefix('rl');
  let redis: Redis;
  let other: Redis;

  before(() => {
    redis = new Redis(TEST_REDIS_URL);
    other = new Redis(TEST_REDIS_URL);
  });
  after(async () => {
    await dropPrefix(TEST_REDIS_URL, prefix);
    redis?.disconnect();
    other?.disconnect();
  });

  it('serves a burst of concurrent takes with a few script calls', async () => {
    const limiter = createCloudRateLimiter({ key: `${prefix}:burst`, rps: 1_000 }, { redis });
    const scripts = countScripts(redis);
    await Promise.all(Array.from({ length: 200 }, () => limiter.take()));
    assert.ok(scripts.count <= 3, `200 takes made ${scripts.count} script calls`);
  });

  it('never grants more than the burst plus the refill, across two limiters on one key', async () => {
    const key = `${prefix}:shared`;
    const rps = 20;
    const a = createCloudRateLimiter({ key, rps }, { redis });
    const b = createCloudRateLimiter({ key, rps }, { redis: other });
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take().then(() => times.push(Date.now() - started))));
    // 20 at once (one second's burst), the other 20 at the refill rate: about a second more.
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 850, `40 tokens at ${rps}/s with a burst of ${rps} took only ${elapsed} ms`);
    for (const t of times) {
      const granted = times.filter((x) => x <= t).length;
      assert.ok(granted <= rps + 1 + (t * rps) / 1000, `${granted} tokens by ${t} ms`);
    }
  });

  it('holds every taker while paused, then serves them', async () => {
    const key = `${prefix}:paused`;
    const a = createCloudRateLimiter({ key, rps: 100 }, { redis });
    const b = createCloudRateLimiter({ key, rps: 100 }, { redis: other });
    await b.pauseFor(300);
    const started = Date.now();
    assert.ok((await a.tryTake()) > 0, 'tryTake reports a wait during the pause');
    await Promise.all(Array.from({ length: 10 }, () => a.take()));
    assert.ok(Date.now() - started >= 250, `taken after ${Date.now() - started} ms of a 300 ms pause`);
    assert.equal(await a.tryTake(), 0);
  });
});
