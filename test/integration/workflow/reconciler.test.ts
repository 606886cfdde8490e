/**
 * "A request is never lost": records left without a job — the producer died between writing the records and
 * adding their first-stage jobs, or a stage job vanished between "record moved on" and "next job added" — are
 * found by the workers' reconciler and run to the end, without duplicating a cloud resource. Plus each branch of
 * one sweep (missing, live, too recent, completed, failed-for-good jobs) and the sweep lock, deterministically.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { runBareJob } from '../../helpers/bare-job.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { systemClock } from '../../../src/lib/clock.js';
import { newBatchId } from '../../../src/lib/ids.js';
import { cleanupJobId, stageJobId } from '../../../src/queues/names.js';
import { createRedisLeases } from '../../../src/queues/locks.js';
import { createReconciler, type Reconciler } from '../../../src/queues/reconciler.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import type { Config } from '../../../src/config/types.js';
import type { AttachmentRecord, CompletionEvent, StageName } from '../../../src/workflow/types.js';

const FAST = { workflow: { reconcileIntervalMs: 100, reconcileAfterMs: 300 } };

async function eventTypes(w: TestWorkers, id: string): Promise<string[]> {
  const entries = await w.redis.xrange(w.keys.events(), '-', '+');
  return entries
    .map(([, fields]) => JSON.parse(fields[1] as string) as CompletionEvent)
    .filter((e) => (e.data as { id?: string }).id === id)
    .map((e) => e.type);
}

/** Exactly one port for the attachment, attached to its server: nothing was created twice. */
async function assertOnePort(w: TestWorkers, rec: AttachmentRecord): Promise<void> {
  const ports = await w.cloud.listAllPorts({ name: `nicattach-${rec.id}` });
  assert.equal(ports.length, 1, `ports named for ${rec.id}: ${ports.length}`);
  assert.equal(ports[0]?.device_id, rec.server_id);
  const ifs = await w.cloud.listServerInterfaces(rec.server_id);
  assert.equal(ifs.interfaceAttachments.filter((i) => i.port_id === rec.port_id).length, 1);
}

describe('reconciler: lost jobs are found and run', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  let w2: TestWorkers;

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu, overrides: FAST });
    // A second workers process on the same Redis and prefix: both reconcile, nothing is done twice.
    w2 = await startTestWorkers({ emulator: emu, prefix: w.prefix, overrides: FAST });
  });
  after(async () => {
    await w2?.stop();
    await w?.stop();
    await emu?.stop();
  });

  it('records written without their first-stage jobs (producer died after the MULTI) succeed, the batch completes once', async () => {
    const servers = await Promise.all([emu.control.createServer(), emu.control.createServer(), emu.control.createServer()]);
    const batchId = newBatchId();
    const records = servers.map((s) => newAttachmentRecord({ server_id: s.id }, { batch_id: batchId }));
    const single = newAttachmentRecord({ server_id: (await emu.control.createServer()).id });
    // What the producer leaves behind when it dies between the record MULTI and the job add: records, no jobs.
    await w.store.createMany(records, { id: batchId, created_at: new Date().toISOString() });
    await w.store.create(single);
    for (const r of [...records, single]) assert.equal(await w.queues.queues.network.getJobState(stageJobId(r.id, 'network')), 'unknown');

    const ended = await w.waitForTerminal([...records, single].map((r) => r.id), 30_000);
    for (const rec of ended) {
      assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
      await assertOnePort(w, rec);
      assert.deepEqual(await eventTypes(w, rec.id), ['attachment.succeeded']);
    }
    const batchEvents = (await w.redis.xrange(w.keys.events(), '-', '+'))
      .map(([, f]) => JSON.parse(f[1] as string) as CompletionEvent)
      .filter((e) => e.type === 'batch.completed' && (e.data as { id: string }).id === batchId);
    assert.equal(batchEvents.length, 1);
  });

  it('a running attachment whose next stage job vanished mid-flow resumes and succeeds', async () => {
    const server = await emu.control.createServer();
    const subnetQueue = w.queues.queues.subnet;
    // Hold the subnet stage so its job can be taken away before any worker runs it.
    await subnetQueue.pause();
    let id = '';
    try {
      [id] = (await w.submit([{ server_id: server.id }])) as [string];
      const jobId = stageJobId(id, 'subnet');
      await waitUntil(async () => ((await w.store.get(id))?.stage === 'subnet' && (await subnetQueue.getJobState(jobId)) !== 'unknown' ? true : undefined), {
        timeoutMs: 15_000,
        what: 'the record at subnet with its job added',
      });
      // The job is lost (as after a crash between "record patched" and "next stage added").
      assert.equal(await subnetQueue.remove(jobId), 1);
      const rec = await w.store.get(id);
      assert.equal(rec?.status, 'running');
      assert.equal(rec?.stage, 'subnet');
    } finally {
      await subnetQueue.resume();
    }
    const rec = await w.waitForTerminal(id, 30_000);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.ok(rec.stages.subnet?.finished_at);
    await assertOnePort(w, rec);
    assert.deepEqual(await eventTypes(w, id), ['attachment.succeeded']);
  });
});

describe('reconciler: one sweep, branch by branch', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  let reconciler: Reconciler;
  const SERVER = '2b8e1a6e-3f0c-4e43-9a5d-5f1f0c2a7b11';

  const make = (config: Config): Reconciler =>
    createReconciler({ config, logger: silentLogger(), connection: w.redis, keys: w.keys, store: w.store, queues: w.queues, leases: createRedisLeases(w.redis), clock: systemClock });

  /** A record created and last changed a minute ago, at the given status and stage, with no job. */
  const oldRecord = async (status: 'queued' | 'running', stage: StageName): Promise<AttachmentRecord> => {
    const rec = newAttachmentRecord({ server_id: SERVER }, { now: Date.now() - 60_000 });
    await w.store.create(rec);
    if (status === 'running') {
      assert.equal(await w.store.patch(rec.id, { status, stage }), true);
      await w.redis.hset(w.keys.attachment(rec.id), 'updated_at', rec.created_at);
    }
    return { ...rec, status, stage };
  };

  /** Runs one job of `stage` through a bare worker (no failure net): completed, or failed for good. */
  const runJobWith = async (stage: StageName, id: string, outcome: 'complete' | 'fail'): Promise<void> => {
    await w.queues.enqueueStage(stage, id);
    await runBareJob(w, stage, stageJobId(id, stage), outcome, 'the cloud kept failing');
  };

  before(async () => {
    emu = await startTestEmulator();
    // No workers: the jobs the sweep adds stay where they are, so its effect can be read exactly.
    w = await startTestWorkers({ emulator: emu, noWorkers: true, overrides: { workflow: { reconcileIntervalMs: 60_000, reconcileAfterMs: 1_000 } } });
    reconciler = make(w.config);
  });
  after(async () => {
    await w?.stop();
    await emu?.stop();
  });

  it('adds the missing job of an old queued or running record, leaves live jobs and recent records alone', async () => {
    const queued = await oldRecord('queued', 'network');
    const running = await oldRecord('running', 'port');
    const live = await oldRecord('running', 'attach');
    await w.queues.enqueueStage('attach', live.id);
    const fresh = newAttachmentRecord({ server_id: SERVER });
    await w.store.create(fresh);

    const report = await reconciler.sweep({ force: true });
    assert.equal(report.swept, true);
    assert.equal(report.added, 2, JSON.stringify(report));
    assert.equal(report.checked, 3, JSON.stringify(report));
    assert.equal(await w.queues.queues.network.getJobState(stageJobId(queued.id, 'network')), 'waiting');
    assert.equal(await w.queues.queues.port.getJobState(stageJobId(running.id, 'port')), 'waiting');
    assert.equal(await w.queues.queues.network.getJobState(stageJobId(fresh.id, 'network')), 'unknown');

    // A second sweep finds every job in place: nothing more is added.
    const again = await reconciler.sweep({ force: true });
    assert.equal(again.added + again.replaced + again.failed, 0, JSON.stringify(again));
  });

  it('replaces a completed job of a record still at that stage', async () => {
    const rec = await oldRecord('running', 'subnet');
    await runJobWith('subnet', rec.id, 'complete');
    const report = await reconciler.sweep({ force: true });
    assert.ok(report.replaced >= 1, JSON.stringify(report));
    assert.equal(await w.queues.queues.subnet.getJobState(stageJobId(rec.id, 'subnet')), 'waiting');
    assert.equal((await w.store.get(rec.id))?.status, 'running');
  });

  it('fails an attachment whose stage job failed for good, with cleanup (the failure net that never ran)', async () => {
    const rec = await oldRecord('running', 'poll');
    await runJobWith('poll', rec.id, 'fail');
    const report = await reconciler.sweep({ force: true });
    assert.ok(report.failed >= 1, JSON.stringify(report));
    const ended = await w.store.get(rec.id);
    assert.equal(ended?.status, 'failed');
    assert.equal(ended?.error?.code, 'STAGE_RETRIES_EXHAUSTED');
    assert.match(ended?.error?.message ?? '', /the cloud kept failing/);
    assert.equal(ended?.error?.stage, 'poll');
    assert.ok(await w.queues.queues.cleanup.getJob(cleanupJobId(rec.id)));
    assert.deepEqual(await eventTypes(w, rec.id), ['attachment.failed']);
  });

  it('only one process sweeps per interval (the sweep lock)', async () => {
    const other = make(w.config);
    const first = await reconciler.sweep();
    const second = await other.sweep();
    assert.equal(first.swept, true);
    assert.equal(second.swept, false);
    assert.ok((await w.redis.pttl(w.keys.custom('reconcile', 'lock'))) > 0);
  });
});
