/**
 * The "create requested" markers against the real emulator and Redis, one stage run at a time:
 * - a CreatePort / BatchAddServerNics the cloud refused (a throttle: nothing done) empties its marker, so the
 *   retry posts at once — no ListPorts, no ListServerInterfaces / ShowPort (counted by /_emulator/state);
 * - one answered 504 by the gateway after the backend acted keeps its marker: the retry finds what the first
 *   post made and posts nothing again (a 5xx to a POST is an unknown outcome, not a refusal);
 * - an attach marker set by an earlier run (its answer lost) survives a refused post: that earlier post may
 *   have made a job that is still running;
 * - a poll with no ECS job id (the attach stage found the port after a lost answer) waits for the NIC to be
 *   listed until attach_requested_at + the poll deadline, instead of failing at once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodeFetch, { Response } from 'node-fetch';
import { waitUntil } from '../../../src/lib/wait.js';
import { runAttachStage } from '../../../src/workflow/stages/attach.js';
import { runPollStage } from '../../../src/workflow/stages/poll.js';
import { runPortStage } from '../../../src/workflow/stages/port.js';
import { runSubnetStage } from '../../../src/workflow/stages/subnet.js';
import type { ServerDetail, Subnet } from '../../../src/cloud/types.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { realStageDeps, storedRecord } from './stage-runs.js';

/**
 * A fetch for the workers' cloud client that, when armed, answers the next POST to a matching path with a
 * gateway 504 (APIGW.0201): after letting it reach the cloud (the backend did the work), or without (it did
 * not) — the client cannot tell the two apart, which is the point.
 */
function gatewayTimeout(): { fetch: typeof nodeFetch; arm(path: RegExp, opts?: { acted: boolean }): void } {
  let armed: { path: RegExp; acted: boolean } | undefined;
  const fetch = (async (url: Parameters<typeof nodeFetch>[0], init?: Parameters<typeof nodeFetch>[1]) => {
    if (armed && init?.method === 'POST' && armed.path.test(String(url))) {
      const { acted } = armed;
      armed = undefined;
      if (acted) await (await nodeFetch(url, init)).arrayBuffer();
      const body = JSON.stringify({ error_code: 'APIGW.0201', error_msg: 'Backend timeout.', request_id: 'gw-504' });
      return new Response(body, { status: 504, headers: { 'content-type': 'application/json' } });
    }
    return nodeFetch(url, init);
  }) as typeof nodeFetch;
  return { fetch, arm: (path, opts = { acted: true }) => (armed = { path, acted: opts.acted }) };
}

describe('stage markers and late NICs (one stage run at a time)', () => {
  let emu: TestEmulator;
  let w: TestWorkers;
  const gateway = gatewayTimeout();

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu, fetch: gateway.fetch });
  });
  after(async () => {
    await emu?.control.configure({ faults: { throttle_rps: 0 }, timings: { job_ms: { min: 0, max: 0 } } });
    await w?.stop();
    await emu?.stop();
  });

  async function serverAndSubnet(): Promise<{ server: ServerDetail; subnet: Subnet }> {
    const server = await emu.control.createServer();
    const subnet = (await emu.control.state()).subnets.find((s) => s.vpc_id === server.metadata.vpc_id);
    assert.ok(subnet);
    return { server, subnet };
  }

  /**
   * Runs `fn` with its first cloud call throttled (429 APIGW.0308: refused, nothing done). The test's own
   * client spends the throttle's one token first; the refill takes 2 s, far longer than the call that follows.
   */
  async function refused<T>(server: ServerDetail, fn: () => Promise<T>): Promise<unknown> {
    await emu.control.configure({ faults: { throttle_rps: 0.5 } });
    try {
      await w.cloud.showServer(server.id);
      await fn();
    } catch (err) {
      return err;
    } finally {
      await emu.control.configure({ faults: { throttle_rps: 0 } });
    }
    assert.fail('the call was not refused');
  }

  const reread = async (id: string): Promise<AttachmentRecord> => (await w.store.get(id)) as AttachmentRecord;

  it('a refused CreatePort empties its marker; the retry creates the port without a ListPorts look-up', async () => {
    const { server, subnet } = await serverAndSubnet();
    const rec = await storedRecord(w, { server_id: server.id }, { stage: 'port', vpc_id: subnet.vpc_id, subnet_id: subnet.id, neutron_subnet_id: subnet.neutron_subnet_id });
    const before = (await emu.control.state()).calls;
    const err = await refused(server, () => runPortStage(rec, realStageDeps(w)));
    assert.equal((err as { code?: string }).code, 'CLOUD_THROTTLED');
    assert.equal((await reread(rec.id)).port_create_requested_at, '', 'marker emptied');

    const outcome = await runPortStage(await reread(rec.id), realStageDeps(w));
    assert.equal(outcome.kind, 'next');
    const after = (await emu.control.state()).calls;
    // The throttled post never reached the service (the gateway refused it), so the emulator counts only the second.
    assert.equal((after.CreatePort ?? 0) - (before.CreatePort ?? 0), 1, 'only the post that made the port reached the service');
    assert.equal((after.ListPorts ?? 0) - (before.ListPorts ?? 0), 0, 'no look-up before the second post');
    assert.equal((await w.cloud.listAllPorts({ name: `nicattach-${rec.id}` })).length, 1);
  });

  it('a refused BatchAddServerNics empties its marker; the retry posts without ListServerInterfaces or ShowPort', async () => {
    const { server, subnet } = await serverAndSubnet();
    const port = await w.cloud.createPort({ network_id: subnet.id, name: 'att-refused' });
    const rec = await storedRecord(w, { server_id: server.id }, { stage: 'attach', vpc_id: subnet.vpc_id, subnet_id: subnet.id, port_id: port.id });
    const before = (await emu.control.state()).calls;
    const err = await refused(server, () => runAttachStage(rec, realStageDeps(w)));
    assert.equal((err as { code?: string }).code, 'CLOUD_THROTTLED');
    assert.equal((await reread(rec.id)).attach_requested_at, '', 'marker emptied');

    const outcome = await runAttachStage(await reread(rec.id), realStageDeps(w));
    assert.equal(outcome.kind, 'next', JSON.stringify(outcome));
    const after = (await emu.control.state()).calls;
    assert.equal((after.BatchAddServerNics ?? 0) - (before.BatchAddServerNics ?? 0), 1, 'only the second post reached the service');
    assert.equal((after.ListServerInterfaces ?? 0) - (before.ListServerInterfaces ?? 0), 0, 'no pre-check');
    assert.equal((after.ShowPort ?? 0) - (before.ShowPort ?? 0), 0, 'no pre-check');
    await w.redis.del(w.keys.serverLease(server.id));
  });

  it('a CreatePort answered 504 after the cloud made the port keeps its marker; the retry finds that port, no second one', async () => {
    const { server, subnet } = await serverAndSubnet();
    const rec = await storedRecord(w, { server_id: server.id }, { stage: 'port', vpc_id: subnet.vpc_id, subnet_id: subnet.id, neutron_subnet_id: subnet.neutron_subnet_id });
    const before = (await emu.control.state()).calls;
    gateway.arm(/\/ports$/);
    await assert.rejects(runPortStage(rec, realStageDeps(w)), (err: { code?: string; outcomeUnknown?: boolean }) => err.code === 'CLOUD_UNAVAILABLE' && err.outcomeUnknown === true);
    assert.ok((await reread(rec.id)).port_create_requested_at, 'marker kept: the port may exist');

    const outcome = await runPortStage(await reread(rec.id), realStageDeps(w));
    assert.equal(outcome.kind, 'next', JSON.stringify(outcome));
    const after = (await emu.control.state()).calls;
    assert.equal((after.CreatePort ?? 0) - (before.CreatePort ?? 0), 1, 'no second post');
    assert.ok((after.ListPorts ?? 0) - (before.ListPorts ?? 0) >= 1, 'looked up by name');
    assert.equal((await w.cloud.listAllPorts({ name: `nicattach-${rec.id}` })).length, 1, 'exactly one port');
  });

  it('a BatchAddServerNics answered 504 after the cloud acted keeps its marker; the retry finds the NIC and posts nothing', async () => {
    const { server, subnet } = await serverAndSubnet();
    const port = await w.cloud.createPort({ network_id: subnet.id, name: 'att-504' });
    const rec = await storedRecord(w, { server_id: server.id }, { stage: 'attach', vpc_id: subnet.vpc_id, subnet_id: subnet.id, port_id: port.id });
    const before = (await emu.control.state()).calls;
    gateway.arm(/\/nics$/);
    await assert.rejects(runAttachStage(rec, realStageDeps(w)), (err: { code?: string; outcomeUnknown?: boolean }) => err.code === 'CLOUD_UNAVAILABLE' && err.outcomeUnknown === true);
    assert.ok((await reread(rec.id)).attach_requested_at, 'marker kept: a job may exist');

    const outcome = await runAttachStage(await reread(rec.id), realStageDeps(w));
    assert.equal(outcome.kind, 'next', JSON.stringify(outcome));
    const after = (await emu.control.state()).calls;
    assert.equal((after.BatchAddServerNics ?? 0) - (before.BatchAddServerNics ?? 0), 1, 'no second post');
    const nics = (await w.cloud.listServerInterfaces(server.id)).interfaceAttachments.filter((i) => i.port_id === port.id);
    assert.equal(nics.length, 1, 'one NIC for the port');
    await w.redis.del(w.keys.serverLease(server.id));
  });

  it('a CreateSubnet answered 504 that had not acted: the attachment that then creates the subnet is its creator, not the first', async () => {
    const { server } = await serverAndSubnet();
    const vpcId = server.metadata.vpc_id as string;
    const subnet = { name: 'sn-504', cidr: '192.168.91.0/24' };
    const [a, b] = await Promise.all([0, 1].map(() => storedRecord(w, { server_id: server.id, subnet }, { stage: 'subnet', vpc_id: vpcId })));
    gateway.arm(/\/subnets$/, { acted: false });
    await assert.rejects(runSubnetStage(a!, realStageDeps(w)), (err: { code?: string; outcomeUnknown?: boolean }) => err.code === 'CLOUD_UNAVAILABLE' && err.outcomeUnknown === true);
    assert.ok((await reread(a!.id)).subnet_create_requested_at, "a's marker kept: it cannot know nothing was made");

    await runSubnetStage(b!, realStageDeps(w)); // finds nothing under the lock, creates the subnet
    assert.equal((await reread(b!.id)).created_subnet, true);
    await runSubnetStage(await reread(a!.id), realStageDeps(w)); // finds it, with its marker
    const first = await reread(a!.id);
    assert.equal(first.subnet_id, (await reread(b!.id)).subnet_id);
    assert.notEqual(first.created_subnet, true, 'the first attachment does not claim the subnet the second made');
    assert.equal((await w.cloud.listAllSubnets({ vpc_id: vpcId })).filter((s) => s.name === subnet.name).length, 1);
  });

  it('keeps an attach marker an earlier run set when this run\'s post is refused (Ecs.0603: its job may still run)', async () => {
    const { server, subnet } = await serverAndSubnet();
    const [mine, busy] = await Promise.all([w.cloud.createPort({ network_id: subnet.id, name: 'att-mine' }), w.cloud.createPort({ network_id: subnet.id, name: 'att-busy' })]);
    await emu.control.configure({ timings: { job_ms: { min: 3_000, max: 3_000 } } });
    try {
      await w.cloud.batchAddServerNics(server.id, [{ port_id: busy.id }]); // the server is busy for 3 s
      const marked = '2024-01-15T08:30:00.000Z';
      const rec = await storedRecord(w, { server_id: server.id }, { stage: 'attach', vpc_id: subnet.vpc_id, subnet_id: subnet.id, port_id: mine.id, attach_requested_at: marked });
      const outcome = await runAttachStage(rec, realStageDeps(w));
      assert.equal(outcome.kind, 'wait', JSON.stringify(outcome));
      if (outcome.kind === 'wait') assert.match(outcome.reason, /Ecs\.0603/);
      assert.ok((await reread(rec.id)).attach_requested_at, 'marker kept (rewritten before this run\'s post, not emptied)');
      await w.redis.del(w.keys.serverLease(server.id));
    } finally {
      await emu.control.configure({ timings: { job_ms: { min: 0, max: 0 } } });
    }
  });

  it('a poll with no ECS job id waits for a NIC that is listed only later, then succeeds; past the deadline it fails', async () => {
    const { server, subnet } = await serverAndSubnet();
    const port = await w.cloud.createPort({ network_id: subnet.id, name: 'att-late' });
    await emu.control.configure({ timings: { job_ms: { min: 1_000, max: 1_000 } } });
    let job: string;
    try {
      // The attach whose answer "was lost": its job runs, the port is listed only when it ends.
      job = (await w.cloud.batchAddServerNics(server.id, [{ port_id: port.id }])).job_id;
    } finally {
      await emu.control.configure({ timings: { job_ms: { min: 0, max: 0 } } });
    }
    const rec = await storedRecord(w, { server_id: server.id }, { stage: 'poll', vpc_id: subnet.vpc_id, subnet_id: subnet.id, port_id: port.id, attach_requested_at: new Date().toISOString() });
    const early = await runPollStage(rec, realStageDeps(w));
    assert.equal(early.kind, 'wait', JSON.stringify(early));

    await waitUntil(async () => ((await emu.control.state()).jobs.find((j) => j.job_id === job)?.status === 'SUCCESS' ? true : undefined), { timeoutMs: 5_000, what: 'the attach job to end' });
    const later = await runPollStage(await reread(rec.id), realStageDeps(w));
    assert.equal(later.kind, 'succeeded', JSON.stringify(later));
    if (later.kind === 'succeeded') assert.equal(later.fields?.nic_id, port.id);

    const { server: other, subnet: otherSubnet } = await serverAndSubnet();
    const stray = await w.cloud.createPort({ network_id: otherSubnet.id, name: 'att-never' });
    const overdue = new Date(Date.now() - w.config.workflow.ecsJobDeadlineMs - 1_000).toISOString();
    const old = await storedRecord(w, { server_id: other.id }, { stage: 'poll', vpc_id: otherSubnet.vpc_id, subnet_id: otherSubnet.id, port_id: stray.id, attach_requested_at: overdue });
    const failed = await runPollStage(old, realStageDeps(w));
    assert.equal(failed.kind, 'failed');
    if (failed.kind === 'failed') assert.equal(failed.error.code, 'NIC_NOT_ATTACHED');
  });
});
