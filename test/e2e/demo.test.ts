/**
 * `npm run demo` as a newcomer or CI runs it (CI=true, no TTY): exits 0, prints plain progress lines (no bar),
 * a summary with every case as expected, per-stage timings, cloud calls and verified webhooks, and leaves no
 * key of its own behind in Redis.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../helpers/redis.js';

function npmRunDemo(): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'demo'], {
      cwd: process.cwd(),
      // What CI has: CI=true and pipes; APP_ENV as a fresh clone has it (the test runner's APP_ENV=test removed).
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CI: 'true', REDIS_URL: TEST_REDIS_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out, ms: Date.now() - started }));
  });
}

describe('npm run demo', () => {
  it('runs 50 attachments end to end in CI, verifies the webhooks, prints the summary, cleans up and exits 0', async () => {
    const { code, out, ms } = await npmRunDemo();
    assert.equal(code, 0, out);
    assert.ok(ms < 60_000, `took ${ms} ms`);
    // Plain progress lines, not a redrawn bar.
    assert.match(out, /^attachments: \d+\/50 ended \(succeeded \d+, failed \d+/m);
    assert.ok(!out.includes('\u001b['), 'no terminal control sequences in CI');
    for (const c of ['shared-subnet  36', 'fixed-ip        8', 'ip-in-use       1', 'vpc-mismatch    2', 'nic-limit       2', 'server-state    1']) {
      assert.match(out, new RegExp(`^${c} .* yes$`, 'm'), `case line "${c}" as expected`);
    }
    assert.match(out, /^shared-subnet +36 +succeeded +36× succeeded +yes$/m);
    assert.match(out, /^vpc-mismatch +2 +failed VPC_MISMATCH +2× failed VPC_MISMATCH +yes$/m);
    assert.match(out, /^Stage timings/m);
    for (const stage of ['network', 'subnet', 'port', 'attach', 'poll', 'end to end']) assert.match(out, new RegExp(`^${stage} +\\d+ +\\d`, 'm'), stage);
    assert.match(out, /^Cloud calls: \d+ in all, [\d.]+ per attachment/m);
    assert.match(out, /^Webhooks \(verified with standardwebhooks \(reference library\)\)$/m);
    assert.match(out, /^subscription +51 +51 +0 +51\/51$/m);
    assert.match(out, /^callback +\d+ +\d+ +0 +9\/9$/m);
    assert.match(out, /^demo passed: all 50 outcomes as expected, every webhook signature verified\.$/m);

    const prefix = /prefix (\{nicattach-demo-[0-9a-f]+\})/.exec(out)?.[1];
    assert.ok(prefix, out);
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const left: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 10_000);
        cursor = next;
        left.push(...keys);
      } while (cursor !== '0');
      assert.deepEqual(left, [], 'the demo dropped its keys');
    } finally {
      redis.disconnect();
    }
  });
});
