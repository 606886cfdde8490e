/**
 * The worker process as an operator runs it: SIGTERM stops taking jobs, lets running stages finish within
 * the bound and exits 0 (nothing is lost: what is left is finished by another worker); a second signal exits
 * at once; bad configuration exits 78 with the message alone; an unreachable Redis gives one clear message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { childWorkerSuite } from '../helpers/child-workers.js';
import { freePort } from '../helpers/redis.js';
import { waitUntil } from '../../src/lib/wait.js';
import { startWorkflowWorkers } from '../../src/queues/workers.js';
import { silentLogger } from '../../src/lib/logger.js';

const SHUTDOWN_BOUND_MS = 3000;

describe('worker process: signals and start-up errors', () => {
  const suite = childWorkerSuite({ timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 400, max: 800 } }, faults: { latency_ms: 50 } });

  it('exits 0 within the bound on SIGTERM while stages run, and loses nothing', async () => {
    const { emu, t } = suite;
    const server = await emu.control.createServer();
    const worker = suite.spawn({ env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_BOUND_MS) } });
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
    const { emu, t } = suite;
    const server = await emu.control.createServer();
    const worker = suite.spawn({ env: { SHUTDOWN_TIMEOUT_MS: '60000' } });
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
    const worker = suite.spawn({ env: { STAGE_ATTEMPTS: 'many' } });
    const exit = await worker.exited;
    assert.equal(exit.code, 78);
    assert.match(worker.output(), /STAGE_ATTEMPTS \(workflow\.stageAttempts\)/);
    assert.doesNotMatch(worker.output(), /at .*\.ts:\d+/, 'no stack trace');
  });

  it('says once how to get a Redis when none answers, and exits 1', async () => {
    const port = await freePort();
    const worker = suite.spawn({ redisUrl: `redis://127.0.0.1:${port}` });
    const exit = await worker.exited;
    assert.equal(exit.code, 1);
    const out = worker.output();
    assert.match(out, /Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /docker compose up -d redis/);
    assert.equal(out.match(/Cannot reach Redis/g)?.length, 1, out);
  });
});
