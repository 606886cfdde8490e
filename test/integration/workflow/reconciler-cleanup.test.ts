/**
 * "A cleanup is never lost": a process that dies between an attachment's terminal transition (failed or
 * cancelled) and adding its cleanup job leaves a port nothing would delete. The reconciler finds failed and
 * cancelled records whose cleanup is missing or pending and whose cleanup job is not live, and adds the job
 * again; a cleanup that is done or gave up is never touched. End to end with workers (the port is deleted),
 * then branch by branch in one sweep, deterministically.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { runBareJob } from '../../helpers/bare-job.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { systemClock } from '../../../src/lib/clock.js';
import { CLEANUP_QUEUE, cleanupJobId } from '../../../src/queues/names.js';
import { createRedisLeases } from '../../../src/queues/locks.js';
import { createReconciler, type Reconciler } from '../../../src/queues/reconciler.js';
import { MAX_CLEANUP_REQUEUES } from '../../../src/queues/reconcile-checks.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import type { AttachmentRecord, CleanupResult } from '../../../src/workflow/types.js';

const HOUR = 3_600_000;

interface EndedOptions {
  status: 'failed' | 'cancelled';
  server_id: string;
  /** Default 1 min. */
  createdAgoMs?: number;
  /** Default 1 min. */
  endedAgoMs?: number;
  cleanup?: CleanupResult;
  fields?: Partial<AttachmentRecord>;
}

/** A record that ended (store.finish / store.cancel) with no cleanup job added: what a crash in between leaves. */
async function endedRecord(w: TestWorkers, o: EndedOptions): Promise<AttachmentRecord> {
  const rec = newAttachmentRecord({ server_id: o.server_id }, { now: Date.now() - (o.createdAgoMs ?? 60_000) });
  await w.store.create(rec);
  if (o.fields) assert.equal(await w.store.patch(rec.id, o.fields), true);
  if (o.status === 'failed') {
    assert.equal(await w.store.finish(rec.id, { status: 'failed', fields: { error: { code: 'ECS_JOB_FAILED', message: 'attach failed', stage: 'poll' } } }), true);
  } else {
    await w.store.cancel(rec.id);
  }
  await w.redis.hset(w.keys.attachment(rec.id), 'finished_at', new Date(Date.now() - (o.endedAgoMs ?? 60_000)).toISOString());
  if (o.cleanup) assert.equal(await w.store.setCleanup(rec.id, o.cleanup), true);
  const stored = await w.store.get(rec.id);
  assert.ok(stored);
  return stored;
}

const cleanupState = (w: TestWorkers, id: string): Promise<string> => w.queues.queues.cleanup.getJobState(cleanupJobId(id));

describe('reconciler: a lost cleanup is added again and the port deleted', () => {
  let emu: TestEmulator;
  let w: TestWorkers;

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu, overrides: { workflow: { reconcileIntervalMs: 100, reconcileAfterMs: 300 } } });
  });
  after(async () => {
    await w?.stop();
    await emu?.stop();
  });

  it('a failed attachment whose port exists but whose cleanup job was lost: cleanup runs, the port is deleted', async () => {
    const server = await emu.control.createServer();
    const cleanupQueue = w.queues.queues.cleanup;
    // Hold the cleanup queue so the job can be taken away before any worker runs it (as if the process died
    // between the terminal transition and the add).
    await cleanupQueue.pause();
    await emu.control.configure({ faults: { job_fail_rate: 1 } });
    let rec: AttachmentRecord;
    try {
      const [id] = (await w.submit([{ server_id: server.id }])) as [string];
      rec = await w.waitForTerminal(id, 20_000);
      assert.equal(rec.status, 'failed');
      assert.equal(rec.error?.code, 'ECS_JOB_FAILED');
      assert.equal(rec.created_port, true);
      assert.ok(rec.port_id);
      await waitUntil(async () => ((await cleanupState(w, id)) !== 'unknown' ? true : undefined), { timeoutMs: 10_000, what: 'the cleanup job added' });
      assert.equal(await cleanupQueue.remove(cleanupJobId(id)), 1);
      assert.equal(await cleanupState(w, id), 'unknown');
      assert.equal((await w.store.get(id))?.cleanup, undefined);
      assert.equal((await w.cloud.listAllPorts({ name: `nicattach-${id}` })).length, 1, 'the port is left behind');
    } finally {
      await emu.control.configure({ faults: { job_fail_rate: 0 } });
      await cleanupQueue.resume();
    }

    const cleaned = await w.waitForCleanup(rec.id, 20_000);
    assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
    assert.equal(cleaned.cleanup?.port_deleted, true);
    assert.deepEqual(await w.cloud.listAllPorts({ name: `nicattach-${rec.id}` }), []);
    assert.equal((await emu.control.state()).ports.some((p) => p.id === rec.port_id), false);
    assert.equal(cleaned.status, 'failed');
  });

  it('a failed attachment whose cleanup is done (or gave up) is left alone, even with a port of its name', async () => {
    const server = await emu.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    const subnet = (await emu.control.state()).subnets.find((s) => s.vpc_id === vpcId);
    assert.ok(subnet);
    const done = await endedRecord(w, { status: 'failed', server_id: server.id, cleanup: { status: 'done', port_deleted: true } });
    const gaveUp = await endedRecord(w, { status: 'cancelled', server_id: server.id, cleanup: { status: 'failed', error: 'CLOUD_ERROR: gave up' } });
    // Ports with their deterministic names: a cleanup that ran again would delete them.
    const ports = await Promise.all([done, gaveUp].map((r) => w.cloud.createPort({ network_id: subnet.id, name: `nicattach-${r.id}` })));

    assert.ok(w.workers);
    const report = await w.workers.reconciler.sweep({ force: true });
    assert.equal(report.swept, true);
    for (const r of [done, gaveUp]) {
      assert.equal(await cleanupState(w, r.id), 'unknown', `no cleanup job for ${r.id}`);
      assert.deepEqual((await w.store.get(r.id))?.cleanup, r.cleanup);
    }
    const left = (await emu.control.state()).ports.map((p) => p.id);
    for (const p of ports) assert.ok(left.includes(p.id), `port ${p.id} kept`);
  });
});

describe('reconciler: lost cleanups, one sweep branch by branch', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  let reconciler: Reconciler;
  const SERVER = '2b8e1a6e-3f0c-4e43-9a5d-5f1f0c2a7b11';

  /** Runs the cleanup job of `id` through a bare worker (not the cleanup worker): completed, or failed for good. */
  const runCleanupJobWith = async (id: string, outcome: 'complete' | 'fail'): Promise<void> => {
    await w.queues.enqueueCleanup(id);
    await runBareJob(w, CLEANUP_QUEUE, cleanupJobId(id), outcome, 'job stalled more than allowable limit');
  };

  before(async () => {
    emu = await startTestEmulator();
    // No workers: the jobs the sweep adds stay where they are, so its effect can be read exactly.
    w = await startTestWorkers({ emulator: emu, noWorkers: true, overrides: { workflow: { reconcileIntervalMs: 60_000, reconcileAfterMs: 1_000 } } });
    reconciler = createReconciler({ config: w.config, logger: silentLogger(), connection: w.redis, keys: w.keys, store: w.store, queues: w.queues, leases: createRedisLeases(w.redis), clock: systemClock });
  });
  after(async () => {
    await w?.stop();
    await emu?.stop();
  });

  it('adds the missing cleanup job of failed/cancelled records; leaves done, given-up, recent, live and out-of-window ones alone', async () => {
    const failed = await endedRecord(w, { status: 'failed', server_id: SERVER, fields: { status: 'running', stage: 'port', port_id: 'c0ffee00-0000-4000-8000-000000000001', created_port: true } });
    const cancelled = await endedRecord(w, { status: 'cancelled', server_id: SERVER, cleanup: { status: 'pending', attempts: 1 } });
    const done = await endedRecord(w, { status: 'failed', server_id: SERVER, cleanup: { status: 'done', port_deleted: true } });
    const gaveUp = await endedRecord(w, { status: 'failed', server_id: SERVER, cleanup: { status: 'failed', error: 'CLEANUP_PORT_BUSY: busy' } });
    const recent = await endedRecord(w, { status: 'failed', server_id: SERVER, endedAgoMs: 0 });
    const tooOld = await endedRecord(w, { status: 'failed', server_id: SERVER, createdAgoMs: 25 * HOUR, endedAgoMs: 25 * HOUR });
    const live = await endedRecord(w, { status: 'cancelled', server_id: SERVER });
    await w.queues.enqueueCleanup(live.id);
    const succeeded = newAttachmentRecord({ server_id: SERVER }, { now: Date.now() - 60_000 });
    await w.store.create(succeeded);
    await w.store.finish(succeeded.id, { status: 'succeeded' });

    const report = await reconciler.sweep({ force: true });
    assert.equal(report.swept, true);
    assert.equal(report.cleanupsChecked, 3, JSON.stringify(report));
    assert.equal(report.cleanupsAdded, 2, JSON.stringify(report));
    assert.equal(report.checked + report.added + report.replaced + report.failed, 0, JSON.stringify(report));
    assert.equal(await cleanupState(w, failed.id), 'waiting');
    assert.equal(await cleanupState(w, cancelled.id), 'waiting');
    assert.equal(await cleanupState(w, live.id), 'waiting');
    for (const r of [done, gaveUp, recent, tooOld, succeeded]) assert.equal(await cleanupState(w, r.id), 'unknown', `no cleanup job for ${r.id}`);
    assert.deepEqual((await w.store.get(gaveUp.id))?.cleanup, gaveUp.cleanup);

    // A second sweep finds every job in place: nothing more is added.
    const again = await reconciler.sweep({ force: true });
    assert.equal(again.cleanupsAdded, 0, JSON.stringify(again));
  });

  it('replaces a completed or failed cleanup job of a record whose cleanup is not done', async () => {
    const completed = await endedRecord(w, { status: 'failed', server_id: SERVER, cleanup: { status: 'pending' } });
    const stalled = await endedRecord(w, { status: 'cancelled', server_id: SERVER });
    await runCleanupJobWith(completed.id, 'complete');
    await runCleanupJobWith(stalled.id, 'fail');

    const report = await reconciler.sweep({ force: true });
    assert.ok(report.cleanupsAdded >= 2, JSON.stringify(report));
    assert.equal(await cleanupState(w, completed.id), 'waiting');
    assert.equal(await cleanupState(w, stalled.id), 'waiting');
  });

  it(`re-adds a cleanup job that keeps failing without a result ${MAX_CLEANUP_REQUEUES} times, then marks the cleanup failed`, async () => {
    const rec = await endedRecord(w, { status: 'failed', server_id: SERVER, cleanup: { status: 'pending', port_deleted: true } });
    for (let i = 1; i <= MAX_CLEANUP_REQUEUES; i += 1) {
      await runCleanupJobWith(rec.id, 'fail');
      // (The bare worker fails every waiting cleanup job, other tests' too: only this record is asserted on.)
      await reconciler.sweep({ force: true });
      assert.equal(await cleanupState(w, rec.id), 'waiting');
      assert.deepEqual((await w.store.get(rec.id))?.cleanup, { status: 'pending', port_deleted: true, requeued: i }, 'progress kept, re-add counted');
    }
    await runCleanupJobWith(rec.id, 'fail');
    const report = await reconciler.sweep({ force: true });
    assert.ok(report.cleanupsGivenUp >= 1, JSON.stringify(report));
    assert.equal(await cleanupState(w, rec.id), 'failed', 'not re-added');
    const cleanup = (await w.store.get(rec.id))?.cleanup;
    assert.equal(cleanup?.status, 'failed');
    assert.equal(cleanup?.port_deleted, true);
    assert.match(cleanup?.error ?? '', /^CLEANUP_JOB_FAILED: .* 4 times \(last: job stalled more than allowable limit\)$/);
    await reconciler.sweep({ force: true });
    assert.equal(await cleanupState(w, rec.id), 'failed', 'a given-up cleanup is not looked at again');
    assert.deepEqual((await w.store.get(rec.id))?.cleanup, cleanup);
  });

  it('leaves a finished cleanup job alone when the record says the cleanup is done', async () => {
    const rec = await endedRecord(w, { status: 'failed', server_id: SERVER, cleanup: { status: 'done', port_deleted: true } });
    await runCleanupJobWith(rec.id, 'complete');
    await reconciler.sweep({ force: true });
    assert.equal(await cleanupState(w, rec.id), 'completed');
  });
});
