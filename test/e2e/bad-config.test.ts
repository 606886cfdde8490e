/**
 * Bad configuration stops the real entry point before anything starts: `node --import tsx src/main.ts worker`
 * (as an operator runs it) exits 78 (EX_CONFIG) with one message on stderr naming every bad key and its env
 * var — single-key and cross-key problems together — with no stack trace, no secret, and nothing on stdout
 * (no log line of a service that started).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../helpers/redis.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), ...args],
      // Only the env given: nothing from the developer's shell decides the outcome.
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, encoding: 'utf8', timeout: 60_000 },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('src/main.ts with bad configuration', () => {
  it('worker: exits 78 with one line per bad key on stderr, nothing on stdout', async () => {
    // A Redis URL nobody listens on: should the config pass by mistake, the worker fails at once (exit 1)
    // instead of starting.
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    const r = await runMain(['worker'], {
      APP_ENV: 'test',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      REDIS_URL: redisUrl,
      METRICS_PORT: '80abc',
      CLOUD_GET_RETRIES: '2x',
      WEBHOOK_ALLOW_PRIVATE: '0',
      CLEANUP_DELETE_NETWORKS: 'off',
      HUAWEICLOUD_SDK_AK: 'AKDONOTPRINT',
      HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
    });
    assert.equal(r.code, 78, `stderr: ${r.stderr}\nstdout: ${r.stdout}`);
    assert.equal(r.stdout, '', 'nothing on stdout: no service started, no log line');
    const lines = r.stderr.split('\n');
    assert.equal(lines[0], 'Invalid configuration:');
    assert.equal(lines.at(-1), '', 'ends with a newline');
    const problems = lines.slice(1, -1);
    assert.ok(problems.every((l) => l.startsWith('  - ')), r.stderr);
    const expected: Array<[string, RegExp]> = [
      ['METRICS_PORT (metrics.port)', /port number.*value was "80abc"/],
      ['CLOUD_GET_RETRIES (cloud.getRetries)', /whole number.*value was "2x"/],
      ['WEBHOOK_ALLOW_PRIVATE (webhook.allowPrivate)', /must be true or false.*value was "0"/],
      ['CLEANUP_DELETE_NETWORKS (workflow.cleanupDeleteNetworks)', /must be true or false.*value was "off"/],
      ['HUAWEICLOUD_SDK_SK (cloud.sk)', /required with HUAWEICLOUD_SDK_AK/],
    ];
    assert.equal(problems.length, expected.length, r.stderr);
    for (const [name, what] of expected) {
      const line = problems.find((l) => l.startsWith(`  - ${name}: `));
      assert.ok(line, `no line for ${name} in:\n${r.stderr}`);
      assert.match(line, what);
    }
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    assert.ok(!r.stderr.includes('AKDONOTPRINT'), 'no credential echoed');
  });
});
