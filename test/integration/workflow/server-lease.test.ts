/**
 * One attach at a time per server, against the emulator: the per-server lease serializes two attachments on
 * one server (no post is refused Ecs.0603); a lease left by a dead holder is taken once it expires; the poll
 * stage renews the lease for as long as the ECS job runs, even with a TTL far below the job's duration; and a
 * server busy with an operation of its own (Ecs.0603) makes the attach stage wait, not fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';

const at = (iso: string | undefined): number => Date.parse(iso ?? '');

/** The two attachments' ECS attach jobs did not overlap: the later one was posted after the earlier ended. */
function assertSerialized(records: AttachmentRecord[]): void {
  const [a, b] = [...records].sort((x, y) => at(x.ecs_job_submitted_at) - at(y.ecs_job_submitted_at)) as [AttachmentRecord, AttachmentRecord];
  assert.ok(at(b.ecs_job_submitted_at) >= at(a.stages.poll?.finished_at), `second attach posted at ${b.ecs_job_submitted_at}, first ended at ${a.stages.poll?.finished_at}`);
}

describe('per-server lease with the emulator', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  /** A server lease TTL far below the ECS job's duration: only renewal keeps it. */
  let short: TestWorkers;

  before(async () => {
    emu = await startTestEmulator({ timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 600, max: 600 } } });
    // Polls every ~200 ms once past the first (twice the target lag), so the jobs' ends are seen at once.
    w = await startTestWorkers({ emulator: emu, overrides: { workflow: { pollTargetLagMs: 100 } } });
    short = await startTestWorkers({ emulator: emu, overrides: { workflow: { pollTargetLagMs: 100, serverLeaseTtlMs: 250 } } });
  });
  after(async () => {
    await w?.stop();
    await short?.stop();
    await emu?.stop();
  });

  const calls = async (): Promise<Record<string, number>> => (await emu.control.state()).calls;
  const delta = (a: Record<string, number>, b: Record<string, number>, op: string): number => (b[op] ?? 0) - (a[op] ?? 0);

  it('two attachments on one server attach one after the other, with no post refused as busy', async () => {
    const server = await emu.control.createServer();
    const before = await calls();
    const records = await w.waitForTerminal(await w.submit([{ server_id: server.id }, { server_id: server.id }]));
    for (const r of records) assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    assert.equal(delta(before, await calls(), 'BatchAddServerNics'), 2, 'one post each: the lease kept them apart');
    assertSerialized(records);
    assert.equal((await w.cloud.listServerInterfaces(server.id)).interfaceAttachments.length, 3);
    assert.equal(await w.redis.exists(w.keys.serverLease(server.id)), 0, 'released at the end');
  });

  it('a lease left by a dead holder is taken once it expires', async () => {
    const server = await emu.control.createServer();
    const leaseKey = w.keys.serverLease(server.id);
    await w.redis.set(leaseKey, 'att_dead-holder', 'PX', 1_000);
    const expiresAt = Date.now() + 1_000;
    const [id] = (await w.submit([{ server_id: server.id }])) as [string];
    // It reaches the attach stage and waits there while the dead holder's lease lives.
    await waitUntil(async () => ((await w.store.get(id))?.stage === 'attach' ? true : undefined), { timeoutMs: 5_000, intervalMs: 10, what: 'the attach stage' });
    assert.equal(await w.redis.get(leaseKey), 'att_dead-holder');
    assert.equal((await w.store.get(id))?.ecs_job_id, undefined, 'nothing posted while the lease is held');
    const rec = await w.waitForTerminal(id, 15_000);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.ok(at(rec.ecs_job_submitted_at) >= expiresAt - 20, 'posted only after the lease expired');
  });

  it('the poll stage renews the lease while the job runs, though its TTL is shorter than the job', async () => {
    const server = await emu.control.createServer();
    const leaseKey = short.keys.serverLease(server.id);
    const before = await calls();
    const ids = await short.submit([{ server_id: server.id }]);
    const first = ids[0] as string;
    // Once the first attachment polls, a second one asks for the same server.
    await waitUntil(async () => ((await short.store.get(first))?.stage === 'poll' ? true : undefined), { timeoutMs: 5_000, intervalMs: 5, what: 'the first attachment polling' });
    ids.push(...(await short.submit([{ server_id: server.id }])));
    // Sampled while the job runs (more than two TTLs): the lease stays the first attachment's.
    const sampled = await waitUntil(
      async () => {
        const rec = await short.store.get(first);
        if (rec?.status !== 'running') return 'ended';
        assert.equal(await short.redis.get(leaseKey), first, 'lease still held by the polling attachment');
        return undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the first attachment to end' },
    );
    assert.equal(sampled, 'ended');
    const records = await short.waitForTerminal(ids, 15_000);
    for (const r of records) assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    assert.equal(delta(before, await calls(), 'BatchAddServerNics'), 2, 'the second never posted into the running job (Ecs.0603)');
    assertSerialized(records);
  });

  it('waits on Ecs.0603 (the server busy with an operation of its own) and attaches once it is done', async () => {
    const server = await emu.control.createServer();
    const subnet = (await emu.control.state()).subnets.find((s) => s.vpc_id === server.metadata.vpc_id);
    assert.ok(subnet);
    const foreign = await w.cloud.createPort({ network_id: subnet.id, name: 'operator-port' });
    await emu.control.configure({ timings: { job_ms: { min: 1_500, max: 1_500 } } });
    let rec: AttachmentRecord;
    const before = await calls();
    try {
      await w.cloud.batchAddServerNics(server.id, [{ port_id: foreign.id }]); // not ours: the lease does not know it
      const [id] = (await w.submit([{ server_id: server.id }])) as [string];
      rec = await w.waitForTerminal(id, 15_000);
    } finally {
      await emu.control.configure({ timings: { job_ms: { min: 600, max: 600 } } });
    }
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    const after = await calls();
    assert.ok(delta(before, after, 'BatchAddServerNics') >= 3, 'the operator\'s post, at least one refused as busy, and ours');
    // A post refused as busy did nothing: its marker is emptied, so the next run posts without the look-ups.
    assert.equal(delta(before, after, 'ShowPort'), 0);
    assert.equal(delta(before, after, 'ListServerInterfaces'), 2, 'the network stage\'s and the poll\'s confirmation only');
    const ifs = await w.cloud.listServerInterfaces(server.id);
    assert.equal(ifs.interfaceAttachments.length, 3, 'primary, the operator\'s and ours');
  });
});
