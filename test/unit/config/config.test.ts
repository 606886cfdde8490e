import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, schema } from '../../../src/config/index.js';
import { cloudOptionsFromConfig } from '../../../src/app/cloud-options.js';
import { ConfigError } from '../../../src/lib/errors.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const PROJECT_ID = '0123456789abcdef0123456789abcdef';
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
    assert.match(err.message, /WEBHOOK_SECRET \(webhook\.secret\): must be a string/);
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

/** The problem lines of a ConfigError message ("  - ENV (key): what"). */
function problemLines(err: ConfigError): string[] {
  return err.message.split('\n').filter((l) => l.startsWith('  - '));
}

describe('env values must have their exact form (never convict\'s own loose coercion)', () => {
  const PORT = /must be a port number, a whole number from 0 to 65535/;
  const NAT = /must be a whole number of at least 0/;
  const POS_INT = /must be a whole number of at least 1/;
  const POS_NUM = /must be a number greater than 0/;
  const BOOL = /must be true or false/;
  const bad: Array<[env: string, key: string, value: string, expected: RegExp]> = [
    ['API_PORT', 'api.port', '80abc', PORT],
    ['API_PORT', 'api.port', '8080.0', PORT],
    ['API_PORT', 'api.port', ' 8080', PORT],
    ['EMULATOR_PORT', 'emulator.port', '-1', PORT],
    ['METRICS_PORT', 'metrics.port', '0x1F90', PORT],
    ['EMULATOR_VPC_READY_MS', 'emulator.vpcReadyMs', '1.5s', NAT],
    ['EMULATOR_JOB_MAX_MS', 'emulator.jobMaxMs', '', NAT],
    ['CLOUD_GET_RETRIES', 'cloud.getRetries', '2x', NAT],
    ['CLOUD_TIMEOUT_MS', 'cloud.timeoutMs', '15000ms', POS_INT],
    ['CLOUD_TIMEOUT_MS', 'cloud.timeoutMs', '+15000', POS_INT],
    ['CLOUD_TIMEOUT_MS', 'cloud.timeoutMs', '1e4', POS_INT],
    ['CLOUD_RATE_LIMIT_RPS', 'cloud.rateLimitRps', '0x10', POS_NUM],
    ['CLOUD_RATE_LIMIT_RPS', 'cloud.rateLimitRps', '1e3', POS_NUM],
    ['CLOUD_RATE_LIMIT_RPS', 'cloud.rateLimitRps', '5 ', POS_NUM],
    ['WEBHOOK_ALLOW_PRIVATE', 'webhook.allowPrivate', '0', BOOL],
    ['WEBHOOK_ALLOW_PRIVATE', 'webhook.allowPrivate', 'no', BOOL],
    ['WEBHOOK_ALLOW_PRIVATE', 'webhook.allowPrivate', 'off', BOOL],
    ['WEBHOOK_ALLOW_PRIVATE', 'webhook.allowPrivate', '', BOOL],
    ['WEBHOOK_ALLOW_PRIVATE', 'webhook.allowPrivate', '1', BOOL],
    ['WEBHOOK_ALLOW_PRIVATE', 'webhook.allowPrivate', 'TRUE', BOOL],
    ['CLEANUP_DELETE_NETWORKS', 'workflow.cleanupDeleteNetworks', '0', BOOL],
    ['EVENTS_STAGE_COMPLETED', 'events.stageCompleted', 'yes', BOOL],
    ['EMULATOR_SEED_DEMO', 'emulator.seedDemo', 'False', BOOL],
  ];
  it('WEBHOOK_SECRET must be empty or whsec_ + base64 of at least 24 bytes, and a bad one is not echoed', () => {
    for (const [value, expected] of [
      ['whsec_not base64!', /must be whsec_ followed by base64/],
      ['whsec_c2VjcmV0', /at least 24 bytes/],
      ['hunter2', /at least 24 bytes/],
    ] as const) {
      const lines = problemLines(configError(() => loadConfig({ env: { WEBHOOK_SECRET: value }, configDir: configDir() })));
      assert.equal(lines.length, 1);
      assert.ok(lines[0]!.startsWith('  - WEBHOOK_SECRET (webhook.secret): '), lines[0]);
      assert.match(lines[0]!, expected);
      assert.ok(!lines[0]!.includes(value.replace(/^whsec_/, '')), `the secret is echoed: ${lines[0]}`);
    }
    for (const ok of ['', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']) {
      assert.equal(loadConfig({ env: { WEBHOOK_SECRET: ok }, configDir: configDir() }).webhook.secret, ok);
    }
  });
  // Without an overlay file, and with one (convict re-imports env inside every load(); config/test.json sets
  // webhook.allowPrivate: true, which WEBHOOK_ALLOW_PRIVATE=0 must not leave on).
  for (const withFile of [false, true]) {
    for (const [env, key, value, expected] of bad) {
      it(`${env}=${JSON.stringify(value)} is refused${withFile ? ' (over config/test.json)' : ''}`, () => {
        const err = configError(() => loadConfig(withFile ? { env: { APP_ENV: 'test', [env]: value } } : { env: { [env]: value }, configDir: configDir() }));
        const lines = problemLines(err);
        assert.equal(lines.length, 1, err.message);
        assert.ok(lines[0]!.startsWith(`  - ${env} (${key}): `), lines[0]);
        assert.match(lines[0]!, expected);
        assert.ok(lines[0]!.endsWith(`value was ${JSON.stringify(value)}`), lines[0]);
      });
    }
  }

  it('accepts the exact forms, env over the file', () => {
    const c = loadConfig({
      env: { APP_ENV: 'test', API_PORT: '8081', CLOUD_GET_RETRIES: '0', EMULATOR_VPC_READY_MS: '15', WEBHOOK_ALLOW_PRIVATE: 'false', CLEANUP_DELETE_NETWORKS: 'true', CLOUD_RATE_LIMIT_RPS: '2.5', CLOUD_TIMEOUT_MS: '007' },
    });
    assert.equal(c.api.port, 8081);
    assert.equal(c.cloud.getRetries, 0);
    assert.equal(c.emulator.vpcReadyMs, 15);
    assert.equal(c.webhook.allowPrivate, false, 'false over config/test.json true');
    assert.equal(c.workflow.cleanupDeleteNetworks, true);
    assert.equal(c.cloud.rateLimitRps, 2.5);
    assert.equal(c.cloud.timeoutMs, 7);
  });

  it('reports several bad env values at once, one line each', () => {
    const err = configError(() => loadConfig({ env: { API_PORT: '80abc', WEBHOOK_ALLOW_PRIVATE: 'off', CLOUD_GET_RETRIES: '2x' }, configDir: configDir() }));
    assert.deepEqual(
      problemLines(err)
        .map((l) => l.replace(/\).*/, ')'))
        .sort(),
      ['  - API_PORT (api.port)', '  - CLOUD_GET_RETRIES (cloud.getRetries)', '  - WEBHOOK_ALLOW_PRIVATE (webhook.allowPrivate)'],
    );
  });

  it('the schema uses no convict built-in number/boolean format (their env coercion is loose)', () => {
    const loose = new Set<unknown>([Boolean, Number, Object, Array, RegExp, 'Boolean', 'Number', 'boolean', 'number', 'port', 'nat', 'int', 'integer', 'port_or_windows_named_pipe', 'array', 'object']);
    const offenders: string[] = [];
    const walk = (node: Record<string, unknown>, path: string[]): void => {
      for (const [k, v] of Object.entries(node)) {
        if (!v || typeof v !== 'object') continue;
        if ('default' in v) {
          if (loose.has((v as { format?: unknown }).format)) offenders.push([...path, k].join('.'));
        } else walk(v as Record<string, unknown>, [...path, k]);
      }
    };
    walk(schema as unknown as Record<string, unknown>, []);
    assert.deepEqual(offenders, [], 'use the strict formats of src/config/formats.ts (tcp-port, non-negative-int, true-false, ...)');
  });
});

describe('checks across keys run inside loadConfig, with the schema checks', () => {
  const cases: Array<[name: string, env: Record<string, string>, line: RegExp]> = [
    ['AK without SK', { HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID }, /^ {2}- HUAWEICLOUD_SDK_SK \(cloud\.sk\): required with HUAWEICLOUD_SDK_AK$/],
    ['SK without AK', { HUAWEICLOUD_SDK_SK: 'SK1' }, /^ {2}- HUAWEICLOUD_SDK_AK \(cloud\.ak\): required with HUAWEICLOUD_SDK_SK$/],
    ['AK/SK without a project id', { HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_SK: 'SK1' }, /^ {2}- HUAWEICLOUD_SDK_PROJECT_ID \(cloud\.projectId\): required when cloud credentials are set/],
    ['a token without a project id', { HUAWEICLOUD_AUTH_TOKEN: 'tok' }, /^ {2}- HUAWEICLOUD_SDK_PROJECT_ID \(cloud\.projectId\): required/],
    ['a security token without AK/SK', { HUAWEICLOUD_AUTH_TOKEN: 'tok', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID, HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sts' }, /^ {2}- HUAWEICLOUD_SDK_SECURITY_TOKEN \(cloud\.securityToken\): only used with/],
    ['backoff base above max', { STAGE_BACKOFF_BASE_MS: '5000', STAGE_BACKOFF_MAX_MS: '1000' }, /^ {2}- STAGE_BACKOFF_MAX_MS \(workflow\.backoffMaxMs\): must be at least STAGE_BACKOFF_BASE_MS \(5000\); value was 1000$/],
    ['poll min above max', { POLL_MIN_DELAY_MS: '20000' }, /^ {2}- POLL_MAX_DELAY_MS \(workflow\.pollMaxDelayMs\): must be at least POLL_MIN_DELAY_MS \(20000\)/],
  ];
  for (const [name, env, line] of cases) {
    it(`refuses ${name}`, () => {
      const lines = problemLines(configError(() => loadConfig({ env, configDir: configDir() })));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, line);
    });
  }

  it('lists them together with schema errors, all at once', () => {
    const err = configError(() =>
      loadConfig({ env: { API_PORT: '80abc', HUAWEICLOUD_SDK_AK: 'AK1', STAGE_BACKOFF_BASE_MS: '5000', STAGE_BACKOFF_MAX_MS: '1000', WEBHOOK_ALLOW_PRIVATE: 'no' }, configDir: configDir() }),
    );
    const envs = problemLines(err).map((l) => /^ {2}- ([A-Z_]+) /.exec(l)?.[1]);
    assert.deepEqual(envs.sort(), ['API_PORT', 'HUAWEICLOUD_SDK_PROJECT_ID', 'HUAWEICLOUD_SDK_SK', 'STAGE_BACKOFF_MAX_MS', 'WEBHOOK_ALLOW_PRIVATE']);
    assert.ok(!err.message.includes('AK1'));
  });

  it('does not double-report a key the schema already refused', () => {
    const lines = problemLines(configError(() => loadConfig({ env: { STAGE_BACKOFF_BASE_MS: 'soon', STAGE_BACKOFF_MAX_MS: '1000' }, configDir: configDir() })));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /STAGE_BACKOFF_BASE_MS/);
  });

  it('accepts complete AK/SK (+ STS token) and token configurations', () => {
    for (const env of [
      { HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_SK: 'SK1', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID, HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sts' },
      { HUAWEICLOUD_AUTH_TOKEN: 'tok', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID },
    ]) {
      const c = loadConfig({ env, configDir: configDir() });
      assert.equal(cloudOptionsFromConfig(c).projectId, PROJECT_ID);
    }
  });

  it('cloudOptionsFromConfig applies the same checks to a config built without loadConfig', () => {
    const good = loadConfig({ env: { HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_SK: 'SK1', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID }, configDir: configDir() });
    const handMade = { ...good, cloud: { ...good.cloud, sk: '', projectId: '' } };
    const err = configError(() => cloudOptionsFromConfig(handMade));
    assert.equal(problemLines(err).length, 2, err.message);
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
    const r = run({ API_PORT: '99999', HUAWEICLOUD_SDK_AK: 'AKCHECK', HUAWEICLOUD_SDK_SK: 'do-not-print-this-secret', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID });
    assert.equal(r.status, 78, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Invalid configuration:\n {2}- API_PORT \(api\.port\): .*65535.*\n$/);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    assert.ok(!r.stderr.includes('do-not-print-this-secret'));
  });

  it('prints a one-line summary without secrets on a good configuration', () => {
    const r = run({ HUAWEICLOUD_SDK_AK: 'AKSUMMARY', HUAWEICLOUD_SDK_SK: 'do-not-print-this-secret', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID, REDIS_URL: 'redis://:hunter2@127.0.0.1:6379' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(r.stdout, /^config ok: env=test .*cloud=cn-north-4 \(AK\/SK\)/);
    for (const secret of ['AKSUMMARY', 'do-not-print-this-secret', 'hunter2']) assert.ok(!r.stdout.includes(secret), r.stdout);
  });
});
