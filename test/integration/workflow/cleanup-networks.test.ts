/**
 * Cleanup with workflow.cleanupDeleteNetworks (env CLEANUP_DELETE_NETWORKS; the issue's
 * `cleanup.deleteNetworks`): the subnet a failed attachment created is deleted once nothing uses it; a port or
 * subnet already gone (404) counts as deleted; and a subnet a sibling attachment has found but not yet put its
 * port in is left alone (the subnet's users set), so the sibling still succeeds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';

describe('cleanup of a created subnet (cleanupDeleteNetworks on)', () => {
  let emu: TestEmulator;
  let w: TestWorkers;

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu, overrides: { workflow: { cleanupDeleteNetworks: true } } });
  });
  after(async () => {
    await w?.queues.queues.cleanup.resume();
    await w?.queues.queues.port.resume();
    await emu?.control.configure({ faults: { job_fail_rate: 0 } });
    await w?.stop();
    await emu?.stop();
  });

  /** Submits one attachment whose ECS job FAILs, and waits for it to end. */
  async function failingAttachment(serverId: string, subnet: { name: string; cidr: string }): Promise<string> {
    await emu.control.configure({ faults: { job_fail_rate: 1 } });
    try {
      const [id] = (await w.submit([{ server_id: serverId, subnet }])) as [string];
      const rec = await w.waitForTerminal(id);
      assert.equal(rec.error?.code, 'ECS_JOB_FAILED', JSON.stringify(rec.error));
      assert.equal(rec.created_subnet, true);
      return id;
    } finally {
      await emu.control.configure({ faults: { job_fail_rate: 0 } });
    }
  }

  const subnetsNamed = async (vpcId: string, name: string): Promise<number> => (await w.cloud.listAllSubnets({ vpc_id: vpcId })).filter((s) => s.name === name).length;

  it('deletes the port, then the subnet the attachment created, once nothing uses it', async () => {
    const server = await emu.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    const id = await failingAttachment(server.id, { name: 'sn-del', cidr: '192.168.80.0/24' });
    const cleaned = await w.waitForCleanup(id);
    assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
    assert.equal(cleaned.cleanup?.port_deleted, true);
    assert.equal(cleaned.cleanup?.subnet_deleted, true);
    assert.equal(await subnetsNamed(vpcId, 'sn-del'), 0, 'subnet deleted');
    assert.equal(await w.redis.exists(w.keys.subnetUsers(cleaned.subnet_id as string)), 0, 'its users set is gone too');
  });

  it('counts a port and a subnet that are already gone (404) as deleted', async () => {
    const server = await emu.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    await w.queues.queues.cleanup.pause();
    let id: string;
    try {
      id = await failingAttachment(server.id, { name: 'sn-gone', cidr: '192.168.81.0/24' });
      const rec = await w.store.get(id);
      // Someone removed both before cleanup got to them.
      await w.cloud.deletePort(rec?.port_id as string);
      await w.cloud.deleteSubnet(vpcId, rec?.subnet_id as string);
    } finally {
      await w.queues.queues.cleanup.resume();
    }
    const cleaned = await w.waitForCleanup(id);
    assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
    assert.equal(cleaned.cleanup?.port_deleted, true);
    assert.equal(cleaned.cleanup?.subnet_deleted, true);
  });

  it('leaves a created subnet that a sibling attachment has found but not yet put its port in; the sibling succeeds', async () => {
    const first = await emu.control.createServer();
    const vpcId = first.metadata.vpc_id as string;
    const second = await emu.control.createServer({ vpc_id: vpcId });
    const subnet = { name: 'sn-shared-late', cidr: '192.168.82.0/24' };
    const { cleanup, port } = w.queues.queues;
    await cleanup.pause();
    let creator: string;
    let sibling: string;
    try {
      creator = await failingAttachment(first.id, subnet);
      // The sibling finds the subnet and stops short of its port (the port queue is held).
      await port.pause();
      [sibling] = (await w.submit([{ server_id: second.id, subnet }])) as [string];
      await waitUntil(async () => ((await w.store.get(sibling))?.stage === 'port' ? true : undefined), { timeoutMs: 10_000, what: 'the sibling at the port stage' });
    } finally {
      await cleanup.resume();
    }
    const cleaned = await w.waitForCleanup(creator);
    assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
    assert.equal(cleaned.cleanup?.port_deleted, true);
    assert.equal(cleaned.cleanup?.subnet_deleted, false, 'in use by the sibling');
    assert.equal(await subnetsNamed(vpcId, subnet.name), 1);

    await port.resume();
    const rec = await w.waitForTerminal(sibling);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.equal(rec.subnet_id, cleaned.subnet_id);
  });
});
