/**
 * A throttled answer (429 APIGW.0308, real, from the emulator's throttle_rps) to a GET pauses the project's
 * shared rate limit and the stage's queue for Retry-After at once: the cloud client reports it to the
 * limiter and lets it go up instead of sleeping it out while holding the worker slot.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodeFetch from 'node-fetch';
import { waitUntil } from '../../../src/lib/wait.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';

/** The workers' fetch, noting when the first 429 arrived and the Retry-After it carried. */
function firstThrottle(): { fetch: typeof nodeFetch; seen?: { at: number; retryAfterMs: number } } {
  const watch: { fetch: typeof nodeFetch; seen?: { at: number; retryAfterMs: number } } = {
    fetch: (async (url: Parameters<typeof nodeFetch>[0], init?: Parameters<typeof nodeFetch>[1]) => {
      const res = await nodeFetch(url, init);
      if (res.status === 429 && !watch.seen) watch.seen = { at: Date.now(), retryAfterMs: Number(res.headers.get('retry-after')) * 1000 };
      return res;
    }) as typeof nodeFetch,
  };
  return watch;
}

describe('attach workflow: a throttled GET', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  const throttle = firstThrottle();

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu, fetch: throttle.fetch });
  });
  after(async () => {
    await emu?.control.configure({ faults: { throttle_rps: 0 } });
    await w?.stop();
    await emu?.stop();
  });

  it('pauses the shared limiter and the queue for Retry-After at once, then the attachment succeeds', async () => {
    const server = await emu.control.createServer();
    // One token, refilled every 2 s. The test spends it: the network stage's first calls (ShowServer and
    // ListServerInterfaces, both GETs) are answered 429 with Retry-After: 2.
    await emu.control.configure({ faults: { throttle_rps: 0.5 } });
    await w.cloud.showServer(server.id);
    const limiterKey = w.keys.rateLimit(emu.credentials.projectId);
    const [id] = (await w.submit([{ server_id: server.id }])) as [string];
    let pausedUntil: number;
    let queuePauseMs: number;
    try {
      pausedUntil = await waitUntil(async () => Number(await w.redis.hget(limiterKey, 'paused_until')) || undefined, {
        timeoutMs: 8_000,
        intervalMs: 10,
        what: 'the shared rate limiter to be paused',
      });
      queuePauseMs = await waitUntil(async () => (await w.queues.queues.network.getRateLimitTtl()) || undefined, {
        timeoutMs: 2_000,
        intervalMs: 10,
        what: 'the network queue to be rate limited',
      });
    } finally {
      await emu.control.configure({ faults: { throttle_rps: 0 } });
    }
    // Paused for the Retry-After from the first 429 on, measured from when that 429 arrived (not from a wall
    // clock a loaded machine could stretch): a client that slept the Retry-After out itself (holding the
    // worker slot, leaving the limit open) would pause, if ever, only after its own retries — a whole
    // Retry-After or more later.
    const first = throttle.seen;
    assert.ok(first && first.retryAfterMs >= 1_000, 'a 429 with Retry-After arrived');
    const lateBy = pausedUntil - (first.at + first.retryAfterMs);
    assert.ok(lateBy > -200 && lateBy < 600, `paused until the first 429 + Retry-After + ${lateBy} ms`);
    assert.ok(queuePauseMs > 0 && queuePauseMs <= 2_000, `queue paused for ${queuePauseMs} ms`);

    const rec = await w.waitForTerminal(id, 20_000);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.equal(rec.stages.network?.attempts, 1, 'a throttled run burns no attempt');
    assert.ok(Date.parse(rec.stages.network?.finished_at ?? '') >= pausedUntil - 50, 'the stage ran again only after the pause');
  });
});
