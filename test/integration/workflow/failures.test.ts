/**
 * Terminal failures end the attachment once, with the cloud's error, and cleanup undoes what it made: ECS job
 * FAIL, the ECS job deadline, a VPC that is not the server's (decided before any port exists; a named VPC that
 * does not exist is never created), a missing or unfit server; cancel before attach (also while the port is
 * being created: no port is left); and waiting (a held lock) is not failing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { waitUntil } from '../../../src/lib/wait.js';
import nodeFetch from 'node-fetch';
import { cancelAttachment } from '../../../src/queues/cancel.js';
import { subnetLockKey } from '../../../src/workflow/stages/subnet.js';
import type { AttachmentRecord, CompletionEvent } from '../../../src/workflow/types.js';

async function eventTypes(w: TestWorkers, id: string): Promise<string[]> {
  const entries = await w.redis.xrange(w.keys.events(), '-', '+');
  return entries
    .map(([, fields]) => JSON.parse(fields[1] as string) as CompletionEvent)
    .filter((e) => (e.data as AttachmentRecord).id === id)
    .map((e) => e.type);
}

async function portsNamedFor(w: TestWorkers, id: string): Promise<number> {
  return (await w.cloud.listAllPorts({ name: `nicattach-${id}` })).length;
}

describe('attach workflow: failures and cleanup', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  /** Workers with a tiny ECS job deadline and network cleanup on, same emulator, own prefix. */
  let strict: TestWorkers;

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu });
    strict = await startTestWorkers({ emulator: emu, overrides: { workflow: { ecsJobDeadlineMs: 300, cleanupDeleteNetworks: true } } });
  });
  after(async () => {
    await w?.stop();
    await strict?.stop();
    await emu?.stop();
  });

  it('fails with the ECS error_code when the job FAILs, and cleanup deletes the port', async () => {
    const server = await emu.control.createServer();
    await emu.control.configure({ faults: { job_fail_rate: 1 } });
    try {
      const [id] = await w.submit([{ server_id: server.id }]);
      const rec = await w.waitForTerminal(id as string);
      assert.equal(rec.status, 'failed');
      assert.equal(rec.error?.code, 'ECS_JOB_FAILED');
      assert.equal(rec.error?.cloud_code, 'Ecs.0217');
      assert.equal(rec.error?.stage, 'poll');
      assert.match(rec.error?.message ?? '', /injected fault/);
      const cleaned = await w.waitForCleanup(rec.id);
      assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
      assert.equal(cleaned.cleanup?.port_deleted, true);
      assert.equal(await portsNamedFor(w, rec.id), 0);
      assert.equal((await w.cloud.listServerInterfaces(server.id)).interfaceAttachments.length, 1);
      assert.deepEqual(await eventTypes(w, rec.id), ['attachment.failed']);
    } finally {
      await emu.control.configure({ faults: { job_fail_rate: 0 } });
    }
  });

  it('fails with ECS_JOB_TIMEOUT past the deadline, and leaves neither NIC nor port once the job ends', async () => {
    const server = await emu.control.createServer();
    await emu.control.configure({ timings: { job_ms: { min: 1500, max: 1500 } } });
    try {
      const [id] = await strict.submit([{ server_id: server.id }]);
      const rec = await strict.waitForTerminal(id as string);
      assert.equal(rec.status, 'failed');
      assert.equal(rec.error?.code, 'ECS_JOB_TIMEOUT');
      assert.ok(rec.ecs_job_id);
      const cleaned = await strict.waitForCleanup(rec.id);
      assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
      // The job was still running at the deadline; once it has ended, nothing of this attachment is left.
      await waitUntil(async () => ((await emu.control.state()).jobs.find((j) => j.job_id === rec.ecs_job_id)?.status.match(/SUCCESS|FAIL/) ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the ECS job to end',
      });
      await waitUntil(async () => ((await portsNamedFor(strict, rec.id)) === 0 ? true : undefined), { timeoutMs: 10_000, what: 'no port left' });
      const ifs = await strict.cloud.listServerInterfaces(server.id);
      assert.equal(ifs.interfaceAttachments.length, 1, 'only the primary NIC');
    } finally {
      await emu.control.configure({ timings: { job_ms: { min: 0, max: 0 } } });
    }
  });

  it('fails early with VPC_MISMATCH naming both VPCs, before any port is created', async () => {
    const server = await emu.control.createServer();
    const other = await emu.control.createServer();
    const calls = (await emu.control.state()).calls.CreatePort ?? 0;
    const [id] = await w.submit([{ server_id: server.id, vpc: { id: other.metadata.vpc_id as string } }]);
    const rec = await w.waitForTerminal(id as string);
    assert.equal(rec.status, 'failed');
    assert.equal(rec.error?.code, 'VPC_MISMATCH');
    assert.equal(rec.error?.stage, 'network');
    assert.ok(rec.error?.message.includes(other.metadata.vpc_id as string) && rec.error.message.includes(server.metadata.vpc_id as string), rec.error?.message);
    assert.equal((await emu.control.state()).calls.CreatePort ?? 0, calls, 'no CreatePort call');
    assert.equal(rec.port_id, undefined);
  });

  it('fails VPC_MISMATCH for a named VPC that does not exist, or exists but is not the server\'s, creating no VPC', async () => {
    const server = await emu.control.createServer();
    const elsewhere = await emu.control.createServer();
    const otherVpc = (await emu.control.state()).vpcs.find((v) => v.id === elsewhere.metadata.vpc_id);
    assert.ok(otherVpc);
    const before = (await emu.control.state()).calls;
    const ids = await strict.submit([
      { server_id: server.id, vpc: { name: 'vpc-fresh', cidr: '10.77.0.0/16' } },
      { server_id: server.id, vpc: { name: otherVpc.name, cidr: otherVpc.cidr } },
    ]);
    const recs = await strict.waitForTerminal(ids);
    for (const rec of recs) {
      assert.equal(rec.error?.code, 'VPC_MISMATCH', JSON.stringify(rec.error));
      assert.equal(rec.error?.stage, 'network');
      assert.ok(rec.error?.message.includes(server.metadata.vpc_id as string), rec.error?.message);
      assert.equal(rec.created_vpc, undefined);
    }
    const after = (await emu.control.state()).calls;
    assert.equal((after.CreateVpc ?? 0) - (before.CreateVpc ?? 0), 0, 'no CreateVpc');
    assert.equal((after.ListVpcs ?? 0) - (before.ListVpcs ?? 0), 0, 'resolved against the server\'s VPC, no listing');
    assert.equal((after.CreatePort ?? 0) - (before.CreatePort ?? 0), 0, 'no port');
    assert.equal((await strict.cloud.listAllVpcs()).filter((v) => v.name === 'vpc-fresh').length, 0, 'no orphan VPC');
    for (const rec of recs) assert.equal((await strict.waitForCleanup(rec.id)).cleanup?.status, 'done');
  });

  it('fails SERVER_NOT_FOUND for an unknown server and SERVER_STATE_INVALID for one in ERROR', async () => {
    const [missing] = await w.submit([{ server_id: '00000000-0000-4000-8000-000000000000' }]);
    assert.equal((await w.waitForTerminal(missing as string)).error?.code, 'SERVER_NOT_FOUND');
    const server = await emu.control.createServer();
    await emu.control.updateServer(server.id, { status: 'ERROR' });
    const [broken] = await w.submit([{ server_id: server.id }]);
    const rec = await w.waitForTerminal(broken as string);
    assert.equal(rec.error?.code, 'SERVER_STATE_INVALID');
    assert.match(rec.error?.message ?? '', /ERROR/);
  });

  it('waits (not fails) while the subnet name lock is held, can be cancelled meanwhile, and creates nothing', async () => {
    const server = await emu.control.createServer();
    const spec = { name: 'sn-locked', cidr: '192.168.88.0/24' };
    const lockKey = w.keys.createLock('subnet', subnetLockKey(server.metadata.vpc_id as string, spec));
    await w.redis.set(lockKey, 'someone-else', 'PX', 60_000);
    const [id] = await w.submit([{ server_id: server.id, subnet: spec }]);
    await waitUntil(async () => ((await w.store.get(id as string))?.stage === 'subnet' ? true : undefined), { timeoutMs: 10_000, what: 'at the subnet stage' });
    const cancelled = await w.store.cancel(id as string);
    assert.equal(cancelled.status, 'cancelled');
    await w.redis.del(lockKey);
    const cleaned = await w.waitForCleanup(id as string);
    assert.equal(cleaned.status, 'cancelled');
    assert.deepEqual(await eventTypes(w, id as string), ['attachment.cancelled']);
    assert.equal((await w.cloud.listAllSubnets({ vpc_id: server.metadata.vpc_id as string })).filter((s) => s.name === 'sn-locked').length, 0);
    await assert.rejects(() => w.store.cancel(id as string), (e: Error & { code?: string }) => e.code === 'ATTACHMENT_NOT_CANCELLABLE');
  });
});

describe('attach workflow: a cancel while the port is being created', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  let held: { release?: () => void; posted: boolean } = { posted: false };

  before(async () => {
    emu = await startTestEmulator();
    // CreatePort is held back until the test releases it: the cancel and its cleanup run first.
    const fetch = (async (url: Parameters<typeof nodeFetch>[0], init?: Parameters<typeof nodeFetch>[1]) => {
      if (init?.method === 'POST' && String(url).endsWith('/ports')) {
        await new Promise<void>((resolve) => (held.release = resolve));
        held.posted = true;
      }
      return nodeFetch(url, init);
    }) as typeof nodeFetch;
    w = await startTestWorkers({ emulator: emu, fetch });
  });
  after(async () => {
    held.release?.();
    await w?.stop();
    await emu?.stop();
  });

  it('leaves no port: the stage change finds the attachment cancelled and deletes the port it made', async () => {
    const server = await emu.control.createServer();
    held = { posted: false };
    const id = (await w.submit([{ server_id: server.id }]))[0] as string;
    await waitUntil(() => (held.release ? true : undefined), { timeoutMs: 15_000, intervalMs: 10, what: 'CreatePort on its way' });
    assert.equal((await cancelAttachment(w, id)).status, 'cancelled');
    const cleaned = await w.waitForCleanup(id);
    assert.equal(cleaned.cleanup?.status, 'done');
    assert.notEqual(cleaned.cleanup?.port_deleted, true, 'the cleanup ran before the port existed');
    held.release?.();
    await waitUntil(() => (held.posted ? true : undefined), { timeoutMs: 5_000, intervalMs: 10, what: 'CreatePort sent' });
    await waitUntil(async () => ((await portsNamedFor(w, id)) === 0 ? true : undefined), { timeoutMs: 15_000, what: 'no port of the cancelled attachment' });
    assert.equal((await emu.control.state()).calls.CreatePort, 1, 'the port was made, then deleted');
    assert.deepEqual(await eventTypes(w, id), ['attachment.cancelled']);
    assert.equal((await w.cloud.listServerInterfaces(server.id)).interfaceAttachments.length, 1, 'nothing attached');
  });
});
