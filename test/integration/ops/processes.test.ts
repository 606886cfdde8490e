/**
 * The service as processes, as an operator meets it:
 * - first run: `nic-attach start` in development with no API_KEYS says in one log line that the embedded
 *   emulator is the cloud, prints a key made for the run and a curl example against the seeded demo server;
 *   the example works as printed; SIGTERM exits 0;
 * - a worker-only process serves /metrics, /healthz and /readyz on METRICS_PORT; SIGTERM exits 0;
 * - `nic-attach emulator` with no credentials set prints the ones it defaulted and its endpoint, and the
 *   project's signing client calls it with exactly what was printed; with credentials set it prints none.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createCloudClient } from '../../../src/cloud/index.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { dropPrefix, freePort, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { metric } from './harness.js';

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(command: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', command], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: TEST_REDIS_URL, LOG_PRETTY: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

describe('the service as processes', () => {
  const prefixes: string[] = [];
  const procs: Proc[] = [];
  let emulator: TestEmulator | undefined;
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await emulator?.stop();
    for (const prefix of prefixes) await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('first run: prints a key and a webhook secret for the run and a curl example that works as printed; SIGTERM exits 0', async () => {
    const prefix = freshPrefix('firstrun');
    prefixes.push(prefix);
    const [apiPort, emulatorPort] = [await freePort(), await freePort()];
    // APP_ENV=development (the default), no API_KEYS: what a fresh clone gets from `npm start`.
    const p = run('start', { APP_ENV: 'development', QUEUE_PREFIX: prefix, API_PORT: String(apiPort), EMULATOR_PORT: String(emulatorPort), LOG_LEVEL: 'info', EMULATOR_JOB_MIN_MS: '200', EMULATOR_JOB_MAX_MS: '800' });
    procs.push(p);
    await waitUntil(() => (/then follow it/.test(p.output()) ? true : undefined), { timeoutMs: 30_000, what: `the start banner in:\n${p.output()}` });
    const out = p.output();
    // No cloud credentials: the embedded emulator is the cloud, and one log line says so.
    const embedded = out.split('\n').filter((l) => l.includes('using the embedded Huawei Cloud emulator'));
    assert.equal(embedded.length, 1, out);
    assert.ok(embedded[0]?.includes(`127.0.0.1:${emulatorPort}`), embedded[0]);
    const key = /API key {4}(dev_[0-9a-f]{32}) {3}\(made for this run/.exec(out)?.[1];
    assert.ok(key, out);
    const url = `http://127.0.0.1:${apiPort}`;
    assert.ok(out.includes(`API        ${url}`), out);
    // The printed example, run as printed (curl's -H/-d turned into fetch).
    const example = /curl -s -X POST (\S+) -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application\/json' \\\n {4}-d '(.+)'/.exec(out);
    assert.ok(example, out);
    const [, postUrl, postKey, body] = example as unknown as [string, string, string, string];
    assert.equal(postKey, key);
    const res = await fetch(postUrl, { method: 'POST', headers: { authorization: `Bearer ${postKey}`, 'content-type': 'application/json' }, body });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    const record = await waitUntil(
      async () => {
        const r = (await (await fetch(`${url}/v1/attachments/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string; ip_address?: string };
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the example attachment to end' },
    );
    assert.equal(record.status, 'succeeded');
    assert.match(record.ip_address ?? '', /^192\.168\.10\./);
    assert.equal((await fetch(`${url}/v1/attachments/${id}`)).status, 401, 'the key is needed');

    // The webhook secret printed for the run signs callback_url deliveries (a first run can use callback_url).
    const secret = /webhooks {3}callback_url deliveries signed with (whsec_\S+) {3}\(made for this run/.exec(out)?.[1];
    assert.ok(secret, out);
    const receiver = await startWebhookReceiver();
    try {
      const serverId = (JSON.parse(body) as { server_id: string }).server_id;
      const withCallback = await fetch(postUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ server_id: serverId, subnet: { name: 'demo-subnet', cidr: '192.168.10.0/24' }, callback_url: receiver.url }),
      });
      assert.equal(withCallback.status, 202, await withCallback.clone().text());
      const [delivery] = await receiver.waitForRequests(1, 30_000);
      const event = new Webhook(secret).verify(delivery?.body ?? '', delivery?.headers as Record<string, string>) as { type: string; data: { id: string } };
      assert.equal(event.type, 'attachment.succeeded');
      assert.equal(event.data.id, ((await withCallback.json()) as { id: string }).id);
    } finally {
      await receiver.close();
    }

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
  });

  it('a worker-only process serves /metrics, /healthz and /readyz on METRICS_PORT, and exits 0 on SIGTERM', async () => {
    emulator = await startTestEmulator();
    const prefix = freshPrefix('metricsport');
    prefixes.push(prefix);
    const port = await freePort();
    const p = run('worker', {
      APP_ENV: 'test',
      QUEUE_PREFIX: prefix,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'info',
      HUAWEICLOUD_SDK_AK: emulator.credentials.accessKey,
      HUAWEICLOUD_SDK_SK: emulator.credentials.secretKey,
      HUAWEICLOUD_SDK_PROJECT_ID: emulator.credentials.projectId,
      HUAWEICLOUD_ECS_ENDPOINT: emulator.url,
      HUAWEICLOUD_VPC_ENDPOINT: emulator.url,
    });
    procs.push(p);
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(() => (p.output().includes('serving /metrics') ? true : undefined), { timeoutMs: 30_000, what: `the metrics server in:\n${p.output()}` });
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    const readyBody = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(ready.status, 200, JSON.stringify(readyBody));
    assert.equal(readyBody.checks.redis?.ok, true);
    assert.equal(readyBody.checks.workers?.ok, true);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.equal(metric(text, 'nic_attach_worker_processes'), 1);
    assert.notEqual(metric(text, 'nodejs_eventloop_lag_seconds'), undefined);
    assert.notEqual(metric(text, 'nic_attach_queue_jobs', { queue: 'network', state: 'waiting' }), undefined);
    assert.equal((await fetch(`${base}/nope`)).status, 404);

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
  });

  it('the standalone emulator prints the credentials it defaulted, and they sign calls; chosen ones are not printed', async () => {
    const port = await freePort();
    const p = run('emulator', { APP_ENV: 'development', EMULATOR_PORT: String(port), LOG_LEVEL: 'warn' });
    procs.push(p);
    await waitUntil(() => (/HUAWEICLOUD_VPC_ENDPOINT=\S+/.test(p.output()) ? true : undefined), { timeoutMs: 30_000, what: `the credentials in:\n${p.output()}` });
    const out = p.output();
    const printed = (name: string): string => {
      const value = new RegExp(`${name}=(\\S+)`).exec(out)?.[1];
      assert.ok(value, `${name} in:\n${out}`);
      return value;
    };
    assert.equal(printed('HUAWEICLOUD_ECS_ENDPOINT'), `http://127.0.0.1:${port}`);
    const demoServer = /Demo server: (\S+)/.exec(out)?.[1];
    assert.ok(demoServer, out);
    const client = createCloudClient(
      {
        ecsEndpoint: printed('HUAWEICLOUD_ECS_ENDPOINT'),
        vpcEndpoint: printed('HUAWEICLOUD_VPC_ENDPOINT'),
        projectId: printed('HUAWEICLOUD_SDK_PROJECT_ID'),
        credentials: { kind: 'aksk', accessKey: printed('HUAWEICLOUD_SDK_AK'), secretKey: printed('HUAWEICLOUD_SDK_SK') },
        timeoutMs: 5_000,
        getRetries: 0,
      },
      { logger: silentLogger() },
    );
    try {
      assert.equal((await client.showServer(demoServer)).id, demoServer);
    } finally {
      client.close();
    }
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());

    const chosen = run('emulator', {
      APP_ENV: 'development',
      EMULATOR_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      EMULATOR_ACCESS_KEY: 'AKCHOSEN0000000000001',
      EMULATOR_SECRET_KEY: 'chosen-secret-key-0000000000000000000001',
      EMULATOR_PROJECT_ID: '0123456789abcdef0123456789abcdef',
    });
    procs.push(chosen);
    await waitUntil(() => (/Demo server: \S+/.test(chosen.output()) ? true : undefined), { timeoutMs: 30_000, what: `the start lines in:\n${chosen.output()}` });
    assert.doesNotMatch(chosen.output(), /HUAWEICLOUD_SDK_SK=|chosen-secret-key/, 'credentials the operator chose are not printed');
    chosen.child.kill('SIGTERM');
    assert.equal(await chosen.exited, 0, chosen.output());
  });
});
