/**
 * The worker process as an operator runs it: SIGTERM stops taking jobs, lets running stages finish within
 * the bound and exits 0 (nothing is lost: what is left is finished by another worker); a second signal exits
 * at once; bad configuration exits 78 with the message alone; an unreachable Redis gives one clear message.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { spawnWorkerProcess, startTestWorkers, type TestWorkers, type WorkerProcess } from '../helpers/workers.js';
import { freePort } from '../helpers/redis.js';
import { waitUntil } from '../../src/lib/wait.js';
import { startWorkflowWorkers } from '../../src/queues/workers.js';
import { silentLogger } from '../../src/lib/logger.js';

const SHUTDOWN_BOUND_MS = 3000;

describe('worker process: signals and start-up errors', () => {
  let emu: TestEmulator;
  let t: TestWorkers;
  const children: WorkerProcess[] = [];

  before(async () => {
    emu = await startTestEmulator({ timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 400, max: 800 } }, faults: { latency_ms: 50 } });
    t = await startTestWorkers({ emulator: emu, noWorkers: true });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.stop();
    await emu?.stop();
  });

  it('exits 0 within the bound on SIGTERM while stages run, and loses nothing', async () => {
    const server = await emu.control.createServer();
    const worker = spawnWorkerProcess({ emulator: emu, prefix: t.prefix, env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_BOUND_MS) } });
    children.push(worker);
    const ids = await t.submit(Array.from({ length: 4 }, () => ({ server_id: server.id })));
    await waitUntil(async () => ((await t.store.getMany(ids)).some((r) => r?.status === 'running') ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'a running attachment',
    });
    const signalled = Date.now();
    worker.kill('SIGTERM');
    const exit = await worker.exited;
    const took = Date.now() - signalled;
    assert.equal(exit.code, 0, worker.output().slice(-1500));
    assert.ok(took < SHUTDOWN_BOUND_MS + 2000, `exited after ${took} ms`);
    assert.match(worker.output(), /workflow workers stopped/);

    // Whatever was left is finished by another worker.
    const rest = startWorkflowWorkers(t.config, { logger: silentLogger(), cloudOptions: emu.cloudOptions });
    try {
      const records = await t.waitForAllTerminal(ids, 60_000);
      for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
      const ifs = await t.cloud.listServerInterfaces(server.id);
      assert.equal(ifs.interfaceAttachments.length, 5);
    } finally {
      await rest.close();
    }
  });

  it('exits at once on a second signal, without waiting for the running stage', async () => {
    const server = await emu.control.createServer();
    const worker = spawnWorkerProcess({ emulator: emu, prefix: t.prefix, env: { SHUTDOWN_TIMEOUT_MS: '60000' } });
    children.push(worker);
    // Every cloud call now takes 5 s: the network stage is in the middle of one when the signals come.
    await emu.control.configure({ faults: { latency_ms: 5000 } });
    try {
      const [id] = await t.submit([{ server_id: server.id }]);
      await waitUntil(async () => ((await t.store.get(id as string))?.status === 'running' ? true : undefined), { timeoutMs: 30_000, intervalMs: 20, what: 'running' });
      const signalled = Date.now();
      worker.kill('SIGTERM');
      await waitUntil(() => (/stopping: no new jobs/.test(worker.output()) ? true : undefined), { timeoutMs: 5_000, intervalMs: 10, what: 'the first signal taken' });
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      assert.equal(exit.code, 1, worker.output().slice(-1000));
      assert.ok(Date.now() - signalled < 4000, `exited after ${Date.now() - signalled} ms`);
      assert.match(worker.output(), /SIGTERM again: exiting now/);
    } finally {
      await emu.control.configure({ faults: { latency_ms: 50 } });
    }
  });

  it('exits 78 with the configuration message alone on a bad setting', async () => {
    const worker = spawnWorkerProcess({ emulator: emu, prefix: t.prefix, env: { STAGE_ATTEMPTS: 'many' } });
    children.push(worker);
    const exit = await worker.exited;
    assert.equal(exit.code, 78);
    assert.match(worker.output(), /STAGE_ATTEMPTS \(workflow\.stageAttempts\)/);
    assert.doesNotMatch(worker.output(), /at .*\.ts:\d+/, 'no stack trace');
  });

  it('says once how to get a Redis when none answers, and exits 1', async () => {
    const port = await freePort();
    const worker = spawnWorkerProcess({ emulator: emu, prefix: t.prefix, redisUrl: `redis://127.0.0.1:${port}` });
    children.push(worker);
    const exit = await worker.exited;
    assert.equal(exit.code, 1);
    const out = worker.output();
    assert.match(out, /Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /docker compose up -d redis/);
    assert.equal(out.match(/Cannot reach Redis/g)?.length, 1, out);
  });
});
