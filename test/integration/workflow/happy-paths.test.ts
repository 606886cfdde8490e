/**
 * The workflow end to end against the emulator over HTTP (the real signing client) and a real Redis: the
 * three ways of naming the network, each ending with the NIC on the server, the record complete and exactly
 * one completion event.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import type { AttachmentRecord, CompletionEvent } from '../../../src/workflow/types.js';

async function eventsFor(w: TestWorkers, id: string): Promise<CompletionEvent[]> {
  const entries = await w.redis.xrange(w.keys.events(), '-', '+');
  return entries
    .map(([, fields]) => JSON.parse(fields[1] as string) as CompletionEvent)
    .filter((e) => (e.data as AttachmentRecord).id === id);
}

describe('attach workflow: happy paths', () => {
  let emu: TestEmulator;
  let w: TestWorkers;

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu });
  });
  after(async () => {
    await w?.stop();
    await emu?.stop();
  });

  it('attaches a NIC in an existing VPC and subnet given by id', async () => {
    const server = await emu.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    const subnet = (await emu.control.state()).subnets.find((s) => s.vpc_id === vpcId);
    assert.ok(subnet);
    const [id] = await w.submit([{ server_id: server.id, vpc: { id: vpcId }, subnet: { id: subnet.id }, metadata: { ticket: 'T-1' } }]);
    const rec = await w.waitForTerminal(id as string);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.equal(rec.vpc_id, vpcId);
    assert.equal(rec.subnet_id, subnet.id);
    assert.ok(rec.port_id && rec.ecs_job_id && rec.ip_address && rec.mac_address);
    assert.equal(rec.nic_id, rec.port_id);
    assert.equal(rec.created_subnet, undefined);
    assert.ok((rec.cloud_calls ?? 0) >= 7, `cloud_calls ${rec.cloud_calls}`);
    for (const stage of ['network', 'subnet', 'port', 'attach', 'poll'] as const) assert.ok(rec.stages[stage]?.finished_at, `timing of ${stage}`);
    assert.deepEqual(rec.metadata, { ticket: 'T-1' });

    const ifs = await w.cloud.listServerInterfaces(server.id);
    assert.equal(ifs.interfaceAttachments.length, 2);
    assert.ok(ifs.interfaceAttachments.some((i) => i.port_id === rec.port_id));
    const port = await w.cloud.showPort(rec.port_id as string);
    assert.equal(port.name, `nicattach-${rec.id}`);
    assert.equal(port.device_id, server.id);

    const events = await eventsFor(w, rec.id);
    assert.deepEqual(events.map((e) => e.type), ['attachment.succeeded']);
    const data = events[0]?.data as AttachmentRecord;
    assert.equal(data.status, 'succeeded');
    assert.equal(data.nic_id, rec.nic_id);
    assert.match(events[0]?.id ?? '', /^evt_[0-9a-f-]{36}$/);
  });

  it('creates a new subnet by name in the server\'s VPC, with the requested options', async () => {
    const server = await emu.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    const [id] = await w.submit([
      { server_id: server.id, subnet: { name: 'sn-app', cidr: '192.168.7.0/24', description: 'app tier', primary_dns: '100.125.1.250', dns_list: ['100.125.1.250'] }, port: { fixed_ip: '192.168.7.20' } },
    ]);
    const rec = await w.waitForTerminal(id as string);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.equal(rec.created_subnet, true);
    assert.equal(rec.vpc_id, vpcId);
    assert.equal(rec.ip_address, '192.168.7.20');
    const subnets = (await w.cloud.listAllSubnets({ vpc_id: vpcId })).filter((s) => s.name === 'sn-app');
    assert.equal(subnets.length, 1);
    assert.equal(subnets[0]?.gateway_ip, '192.168.7.1');
    assert.equal(subnets[0]?.description, 'app tier');
    assert.deepEqual(subnets[0]?.dnsList, ['100.125.1.250']);
    assert.equal(subnets[0]?.id, rec.subnet_id);
  });

  it('finds a VPC by name for a server created in it, and attaches in a new subnet there', async () => {
    const vpc = await w.cloud.createVpc({ name: 'vpc-by-name', cidr: '10.20.0.0/16' });
    const server = await emu.control.createServer({ vpc_id: vpc.id });
    const before = (await emu.control.state()).calls.CreateVpc ?? 0;
    const [id] = await w.submit([{ server_id: server.id, vpc: { name: 'vpc-by-name', cidr: '10.20.0.0/16' }, subnet: { name: 'sn-b', cidr: '10.20.9.0/24' } }]);
    const rec = await w.waitForTerminal(id as string);
    assert.equal(rec.status, 'succeeded', JSON.stringify(rec.error));
    assert.equal(rec.vpc_id, vpc.id);
    assert.equal(rec.created_vpc, undefined);
    assert.equal(rec.created_subnet, true);
    assert.equal((await emu.control.state()).calls.CreateVpc ?? 0, before, 'no VPC created');
    const ifs = await w.cloud.listServerInterfaces(server.id);
    assert.ok(ifs.interfaceAttachments.some((i) => i.port_id === rec.port_id && i.net_id === rec.subnet_id));
  });
});
