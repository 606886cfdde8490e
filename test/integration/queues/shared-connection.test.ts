/**
 * SharedConnectionQueue / SharedConnectionWorker (src/queues/shared-connection.ts): closing a queue or worker
 * whose shared connection never reached Redis, then disconnecting that connection, leaves no unhandled
 * rejection — with BullMQ's own classes it does (the CI failure of test/integration/api/redis-down.test.ts).
 * Each case runs in a child process of its own (an unhandled rejection here would fail this file, not show
 * the difference).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../../helpers/redis.js';

const run = promisify(execFile);

interface Outcome {
  status: string;
  unhandled: string[];
}

async function closeOnDownRedis(what: 'queue' | 'worker', kind: 'bullmq' | 'shared'): Promise<Outcome> {
  const port = await freePort();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/close-on-down-redis.ts', what, kind, String(port)], { cwd: process.cwd(), timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Outcome;
}

describe('a queue or worker on a shared connection that never reached Redis', () => {
  for (const what of ['queue', 'worker'] as const) {
    it(`${what}: ours, closed, then its connection ended — no unhandled rejection`, async () => {
      const ours = await closeOnDownRedis(what, 'shared');
      assert.equal(ours.status, 'end');
      assert.deepEqual(ours.unhandled, []);
    });

    it(`${what}: BullMQ's own class in the same steps leaves one (why ours exist; if this fails after an upgrade, BullMQ fixed it and they can go)`, async () => {
      const theirs = await closeOnDownRedis(what, 'bullmq');
      assert.equal(theirs.status, 'end');
      assert.equal(theirs.unhandled.length, 1, JSON.stringify(theirs));
      assert.match(theirs.unhandled[0] ?? '', /ECONNREFUSED/);
    });
  }
});
