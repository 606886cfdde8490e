import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/lib/errors.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A config dir holding only the overlays given. */
function configDir(files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nic-config-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, `${name}.json`), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the schema defaults when nothing is set', () => {
    const c = loadConfig({ env: {}, configDir: configDir() });
    assert.equal(c.env, 'development');
    assert.equal(c.api.port, 8080);
    assert.equal(c.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(c.cloud.region, 'cn-north-4');
    assert.equal(c.cloud.getRetries, 2);
    assert.deepEqual(c.api.keys, []);
    assert.equal(c.webhook.retrySchedule, '5s,5m,30m,2h,5h,10h,10h');
  });

  it('loads every shipped overlay (development, test, production, docker)', () => {
    for (const appEnv of ['development', 'test', 'production', 'docker']) {
      const c = loadConfig({ env: { APP_ENV: appEnv } });
      assert.equal(c.env, appEnv);
    }
    assert.equal(loadConfig({ env: { APP_ENV: 'test' } }).api.port, 0, 'config/test.json applies');
  });

  it('applies the <APP_ENV>.json overlay, and env vars win over it', () => {
    const dir = configDir({ production: { api: { port: 1234, host: '0.0.0.0' }, log: { level: 'debug' } } });
    const fromFile = loadConfig({ env: { APP_ENV: 'production' }, configDir: dir });
    assert.equal(fromFile.api.port, 1234);
    assert.equal(fromFile.api.host, '0.0.0.0');
    const envWins = loadConfig({ env: { APP_ENV: 'production', API_PORT: '4321', LOG_LEVEL: 'error' }, configDir: dir });
    assert.equal(envWins.api.port, 4321);
    assert.equal(envWins.log.level, 'error');
    assert.equal(envWins.api.host, '0.0.0.0', 'keys not in env keep the file value');
  });

  it('reads lists and numbers from env', () => {
    const c = loadConfig({ env: { API_KEYS: 'k1, k2', CLOUD_TIMEOUT_MS: '2500', WORKER_CONCURRENCY_POLL: '7' }, configDir: configDir() });
    assert.deepEqual(c.api.keys, ['k1', 'k2']);
    assert.equal(c.cloud.timeoutMs, 2500);
    assert.equal(c.workers.concurrency.poll, 7);
  });

  it('reports every bad value at once, naming env var, key and what is expected', () => {
    const err = configError(() =>
      loadConfig({
        env: { API_PORT: '99999', REDIS_URL: 'http://localhost:6379', CLOUD_TIMEOUT_MS: 'soon', HUAWEICLOUD_REGION: 'Mars', WEBHOOK_RETRY_SCHEDULE: '5 fortnights' },
        configDir: configDir(),
      }),
    );
    assert.equal(err.code, 'CONFIG_INVALID');
    const m = err.message;
    assert.match(m, /API_PORT \(api\.port\):.*65535/);
    assert.match(m, /REDIS_URL \(redis\.url\):.*redis:\/\//);
    assert.match(m, /CLOUD_TIMEOUT_MS \(cloud\.timeoutMs\):.*whole number/);
    assert.match(m, /HUAWEICLOUD_REGION \(cloud\.region\):.*region name/);
    assert.match(m, /WEBHOOK_RETRY_SCHEDULE \(webhook\.retrySchedule\):.*duration/);
    assert.ok(!m.includes('    at '), 'no stack trace in the message');
    assert.equal(m.split('\n').filter((l) => l.startsWith('  - ')).length, 5, 'one line per bad key');
  });

  it('does not echo sensitive values in the message', () => {
    const dir = configDir({ production: { webhook: { secret: 8675309 }, cloud: { sk: 424242424242 } } });
    const err = configError(() => loadConfig({ env: { APP_ENV: 'production' }, configDir: dir }));
    assert.match(err.message, /WEBHOOK_SECRET \(webhook\.secret\): must be of type String/);
    assert.match(err.message, /HUAWEICLOUD_SDK_SK \(cloud\.sk\): must be of type String/);
    assert.ok(!err.message.includes('8675309'), err.message);
    assert.ok(!err.message.includes('424242424242'), err.message);
    // a non-sensitive bad value is echoed, so the operator can see what was wrong
    const plain = configError(() => loadConfig({ env: { CLOUD_TIMEOUT_MS: 'soon' }, configDir: configDir() }));
    assert.match(plain.message, /value was "soon"/);
  });

  it('rejects an unknown key in an overlay file', () => {
    const dir = configDir({ production: { api: { prot: 8081 } } });
    const err = configError(() => loadConfig({ env: { APP_ENV: 'production' }, configDir: dir }));
    assert.match(err.message, /api\.prot: unknown setting/);
  });

  it('rejects an overlay file that is not JSON, naming the file', () => {
    const dir = configDir({ production: '{ not json' });
    const err = configError(() => loadConfig({ env: { APP_ENV: 'production' }, configDir: dir }));
    assert.match(err.message, /production\.json/);
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ env: {}, configDir: configDir() });
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.api));
    assert.ok(Object.isFrozen(c.api.keys));
    assert.throws(() => {
      (c.api as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (c.workers.concurrency as Record<string, number>).poll = 1;
    }, TypeError);
  });
});

describe('scripts/check-config.ts as a process', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-config.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', APP_ENV: 'test', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('exits non-zero with one clear message and no stack trace on a bad value', () => {
    const r = run({ API_PORT: '99999', HUAWEICLOUD_SDK_SK: 'do-not-print-this-secret' });
    assert.equal(r.status, 78, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Invalid configuration:\n {2}- API_PORT \(api\.port\): .*65535.*\n$/);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    assert.ok(!r.stderr.includes('do-not-print-this-secret'));
  });

  it('prints a one-line summary without secrets on a good configuration', () => {
    const r = run({ HUAWEICLOUD_SDK_AK: 'AKSUMMARY', HUAWEICLOUD_SDK_SK: 'do-not-print-this-secret', REDIS_URL: 'redis://:hunter2@127.0.0.1:6379' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(r.stdout, /^config ok: env=test .*cloud=cn-north-4 \(AK\/SK\)/);
    for (const secret of ['AKSUMMARY', 'do-not-print-this-secret', 'hunter2']) assert.ok(!r.stdout.includes(secret), r.stdout);
  });
});
