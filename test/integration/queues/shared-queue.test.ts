/**
 * SharedConnectionQueue (src/queues/shared-queue.ts): closing a queue whose shared connection never reached
 * Redis, then disconnecting that connection, leaves no unhandled rejection — with BullMQ's own Queue it does
 * (the CI failure of test/integration/api/redis-down.test.ts). Each case runs in a child process of its own
 * (an unhandled rejection here would fail this file, not show the difference).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../../helpers/redis.js';

const run = promisify(execFile);

async function closeOnDownRedis(kind: 'plain' | 'shared'): Promise<{ kind: string; status: string; unhandled: string[] }> {
  const port = await freePort();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/close-queue-on-down-redis.ts', kind, String(port)], { cwd: process.cwd(), timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { kind: string; status: string; unhandled: string[] };
}

describe('a queue on a shared connection that never reached Redis', () => {
  it('SharedConnectionQueue: closed, then its connection ended — no unhandled rejection', async () => {
    const shared = await closeOnDownRedis('shared');
    assert.equal(shared.status, 'end');
    assert.deepEqual(shared.unhandled, []);
  });

  it("BullMQ's Queue in the same steps leaves one (why the subclass exists; if this fails after an upgrade, BullMQ fixed it and the subclass can go)", async () => {
    const plain = await closeOnDownRedis('plain');
    assert.equal(plain.status, 'end');
    assert.equal(plain.unhandled.length, 1, JSON.stringify(plain));
    assert.match(plain.unhandled[0] ?? '', /ECONNREFUSED/);
  });
});
