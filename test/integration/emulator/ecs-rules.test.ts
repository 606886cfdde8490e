/**
 * ECS rules of the emulator over signed HTTP: servers and their NICs, the asynchronous NIC jobs on the injected
 * clock (INIT → RUNNING → SUCCESS/FAIL, effects at completion), one operation at a time per server, the NIC
 * limit, server states, same-VPC and port-DOWN rules, detach semantics, and the ECS error shape.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../../src/lib/clock.js';
import type { ServerDetail } from '../../../src/cloud/types.js';
import { startSigned, type SignedEmulator, type SignedResponse } from './signed-fetch.js';

function assertEcsError(r: SignedResponse, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body as object), ['error'], 'ECS error shape');
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.error.message, 'string');
}

const JOB_MS = 10_000;
const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
let e: SignedEmulator;

before(async () => {
  e = await startSigned({ clock, timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: JOB_MS, max: JOB_MS } } });
});
after(() => e.t.stop());
beforeEach(() => e.t.emulator.control.reset());

function server(opts: { vpc_id?: string; status?: string; max_nics?: number } = {}): ServerDetail {
  return e.t.emulator.control.createServer(opts);
}

async function subnetOf(s: ServerDetail): Promise<{ id: string; neutron_subnet_id: string; cidr: string }> {
  const subnets = (await e.call('GET', 'subnets', { query: [['vpc_id', s.metadata.vpc_id ?? '']] })).body.subnets;
  return subnets[0];
}

async function freePort(s: ServerDetail, fixed?: string): Promise<string> {
  const sub = await subnetOf(s);
  const body = { port: { network_id: sub.id, ...(fixed ? { fixed_ips: [{ ip_address: fixed }] } : {}) } };
  const r = await e.call('POST', 'ports', { body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.port.id as string;
}

async function attach(serverId: string, nics: object[]): Promise<SignedResponse> {
  return e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics } });
}

async function finish(jobId: string): Promise<SignedResponse> {
  clock.advance(JOB_MS);
  return e.call('GET', `jobs/${jobId}`);
}

describe('servers', () => {
  it('shows a server with its primary NIC, addresses keyed by VPC id and metadata.vpc_id', async () => {
    const s = server({ max_nics: 4 });
    const r = await e.call('GET', `cloudservers/${s.id}`);
    assert.equal(r.status, 200);
    const d = r.body.server;
    const vpcId = d.metadata.vpc_id;
    assert.deepEqual(Object.keys(d.addresses), [vpcId]);
    assert.equal(d.addresses[vpcId].length, 1);
    assert.equal(d.addresses[vpcId][0].primary, true);
    assert.equal(d['OS-EXT-STS:vm_state'], 'active');
    assert.equal(d['OS-EXT-STS:power_state'], 1);
    assert.match(d.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const ifs = (await e.call('GET', `cloudservers/${s.id}/os-interface`)).body;
    assert.equal(ifs.attachableQuantity.free_nic, 3);
    assert.equal(ifs.interfaceAttachments.length, 1);
    assert.equal(ifs.interfaceAttachments[0].port_id, d.addresses[vpcId][0]['OS-EXT-IPS:port_id']);
    const ext = (await e.call('GET', `cloudservers/${s.id}/os-interface_extension`)).body;
    assert.equal(ext.attachableQuantity.free_nic, 3);
    assert.equal(ext.interfaceAttachments[0].preserve_on_delete, false);
    const state = e.t.emulator.control.state();
    const primary = state.ports.find((p) => p.device_id === s.id);
    assert.ok(primary, 'the primary NIC is a port in state()');
    assert.equal(primary.device_owner, 'compute:cn-north-4a');
  });

  it('shows the fields huawei-cloud-api.md §4.4 lists, and a fault object only while the server is ERROR', async () => {
    const s = server();
    const d = (await e.call('GET', `cloudservers/${s.id}`)).body.server;
    for (const k of ['auto_terminate_time', 'cpu_options', 'hypervisor', 'security_options', 'network_interfaces', 'locked', 'host_status']) {
      assert.ok(k in d, `server.${k}`);
    }
    assert.deepEqual(Object.keys(d.network_interfaces[0]).sort(), ['association', 'ip_addresses', 'ipv6_addresses', 'port_id', 'primary', 'subnet_id']);
    assert.equal('fault' in d, false, 'no fault while ACTIVE');
    clock.advance(5000);
    e.t.emulator.control.updateServer(s.id, { status: 'ERROR' });
    const err = (await e.call('GET', `cloudservers/${s.id}`)).body.server;
    assert.equal(err.status, 'ERROR');
    assert.equal(err['OS-EXT-STS:vm_state'], 'error');
    assert.equal(typeof err.fault.code, 'number');
    assert.equal(typeof err.fault.message, 'string');
    assert.equal(typeof err.fault.details, 'string');
    assert.equal(err.fault.created, new Date(clock.now()).toISOString().slice(0, 19) + 'Z');
    e.t.emulator.control.updateServer(s.id, { status: 'ACTIVE' });
    assert.equal('fault' in (await e.call('GET', `cloudservers/${s.id}`)).body.server, false);
  });

  it('answers an unknown server with 404 Ecs.0114 on every server path', async () => {
    const id = '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d';
    for (const path of [`cloudservers/${id}`, `cloudservers/${id}/os-interface`, `cloudservers/${id}/os-interface_extension`]) {
      assertEcsError(await e.call('GET', path), 404, 'Ecs.0114');
    }
    assertEcsError(await attach(id, [{ subnet_id: 'x' }]), 404, 'Ecs.0114');
    assertEcsError(await e.call('POST', `cloudservers/${id}/nics/delete`, { body: { nics: [{ id: 'x' }] } }), 404, 'Ecs.0114');
  });

  it('answers an unknown job with 404 Ecs.0000 in the ECS shape', async () => {
    assertEcsError(await e.call('GET', 'jobs/ff80808288d41e1b018990260955686a'), 404, 'Ecs.0000');
  });
});

describe('attaching a port (BatchAddServerNics with port_id)', () => {
  it('accepts a job that goes INIT → RUNNING → SUCCESS; the NIC appears only when the job completes', async () => {
    const s = server();
    const portId = await freePort(s);
    const r = await attach(s.id, [{ port_id: portId }]);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body), ['job_id']);
    const jobId = r.body.job_id as string;
    const j0 = (await e.call('GET', `jobs/${jobId}`)).body;
    assert.equal(j0.status, 'INIT');
    assert.equal(j0.job_type, 'addNicsForServer');
    assert.equal(j0.end_time, null);
    assert.match(j0.begin_time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(j0.entities.sub_jobs_total, 1);
    assert.equal(j0.entities.sub_jobs[0].entities.nic_id, portId);
    assert.equal(j0.entities.nic_id, undefined, 'the NIC id is per sub-job only (huawei-cloud-api.md §4.2)');
    clock.advance(1000);
    assert.equal((await e.call('GET', `jobs/${jobId}`)).body.status, 'RUNNING');
    assert.equal((await e.call('GET', `ports/${portId}`)).body.port.status, 'DOWN', 'no effect before completion');
    assert.equal((await e.call('GET', `cloudservers/${s.id}/os-interface`)).body.interfaceAttachments.length, 1);
    clock.advance(JOB_MS - 1000 - 1);
    assert.equal((await e.call('GET', `jobs/${jobId}`)).body.status, 'RUNNING');
    clock.advance(1);
    const done = (await e.call('GET', `jobs/${jobId}`)).body;
    assert.equal(done.status, 'SUCCESS');
    assert.equal(done.error_code, null);
    assert.equal(done.fail_reason, null);
    assert.equal(Date.parse(done.end_time) - Date.parse(done.begin_time), JOB_MS);
    assert.equal(done.entities.sub_jobs[0].status, 'SUCCESS');
    const port = (await e.call('GET', `ports/${portId}`)).body.port;
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port.device_id, s.id);
    assert.equal(port.device_owner, 'compute:cn-north-4a');
    const ifs = (await e.call('GET', `cloudservers/${s.id}/os-interface`)).body;
    assert.deepEqual(ifs.interfaceAttachments.map((a: { port_id: string }) => a.port_id).slice(1), [portId]);
    assert.equal(ifs.attachableQuantity.free_nic, 10);
    const shown = (await e.call('GET', `cloudservers/${s.id}`)).body.server;
    assert.equal(shown.addresses[s.metadata.vpc_id ?? ''].length, 2);
  });

  it('allows one operation at a time per server: 501 Ecs.0603 while a job is INIT or RUNNING', async () => {
    const s = server();
    const p1 = await freePort(s);
    const p2 = await freePort(s);
    const job = (await attach(s.id, [{ port_id: p1 }])).body.job_id as string;
    assertEcsError(await attach(s.id, [{ port_id: p2 }]), 501, 'Ecs.0603');
    clock.advance(5000);
    assertEcsError(await e.call('POST', `cloudservers/${s.id}/nics/delete`, { body: { nics: [{ id: p1 }] } }), 501, 'Ecs.0603');
    assertEcsError(await attach(s.id, [{ port_id: p2 }]), 501, 'Ecs.0603');
    await finish(job);
    assert.equal((await attach(s.id, [{ port_id: p2 }])).status, 200);
  });

  it('requires the port to be DOWN and free: attached or being attached → 400 Ecs.0919; DeletePort → 409 VPC.2511', async () => {
    const a = server();
    const b = server({ vpc_id: a.metadata.vpc_id });
    const portId = await freePort(a);
    const job = (await attach(a.id, [{ port_id: portId }])).body.job_id as string;
    assertEcsError(await attach(b.id, [{ port_id: portId }]), 400, 'Ecs.0919');
    const del = await e.call('DELETE', `ports/${portId}`);
    assert.equal(del.status, 409);
    assert.equal(del.body.code, 'VPC.2511');
    await finish(job);
    assertEcsError(await attach(b.id, [{ port_id: portId }]), 400, 'Ecs.0919');
    assert.equal((await e.call('DELETE', `ports/${portId}`)).body.code, 'VPC.2511');
    const primary = e.t.emulator.control.state().ports.find((p) => p.device_id === a.id && p.id !== portId);
    assertEcsError(await attach(b.id, [{ port_id: primary?.id }]), 400, 'Ecs.0919');
  });

  it('requires the port (or subnet) to be in the server VPC: 400 Ecs.0064', async () => {
    const a = server();
    const other = server();
    const foreignPort = await freePort(other);
    assertEcsError(await attach(a.id, [{ port_id: foreignPort }]), 400, 'Ecs.0064');
    assertEcsError(await attach(a.id, [{ subnet_id: (await subnetOf(other)).id }]), 400, 'Ecs.0064');
  });

  it('enforces the NIC count per server (primary included) with 400 Ecs.0050', async () => {
    const s = server({ max_nics: 2 });
    const p1 = await freePort(s);
    const p2 = await freePort(s);
    assertEcsError(await attach(s.id, [{ port_id: p1 }, { port_id: p2 }]), 400, 'Ecs.0050');
    await finish((await attach(s.id, [{ port_id: p1 }])).body.job_id);
    assert.equal((await e.call('GET', `cloudservers/${s.id}/os-interface`)).body.attachableQuantity.free_nic, 0);
    assertEcsError(await attach(s.id, [{ port_id: p2 }]), 400, 'Ecs.0050');
  });

  it('checks the server state: BUILD/ERROR → 400 Ecs.0100, locked → 400 Ecs.0605, SHUTOFF allowed (NIC stays DOWN)', async () => {
    const s = server({ status: 'BUILD' });
    const portId = await freePort(s);
    assertEcsError(await attach(s.id, [{ port_id: portId }]), 400, 'Ecs.0100');
    e.t.emulator.control.updateServer(s.id, { status: 'ERROR' });
    assertEcsError(await attach(s.id, [{ port_id: portId }]), 400, 'Ecs.0100');
    e.t.emulator.control.updateServer(s.id, { status: 'ACTIVE', locked: true });
    assertEcsError(await attach(s.id, [{ port_id: portId }]), 400, 'Ecs.0605');
    e.t.emulator.control.updateServer(s.id, { status: 'SHUTOFF', locked: false });
    const job = (await attach(s.id, [{ port_id: portId }])).body.job_id as string;
    assert.equal((await finish(job)).body.status, 'SUCCESS');
    const port = (await e.call('GET', `ports/${portId}`)).body.port;
    assert.equal(port.device_id, s.id);
    assert.equal(port.status, 'DOWN');
    e.t.emulator.control.updateServer(s.id, { status: 'ACTIVE' });
    assert.equal((await e.call('GET', `ports/${portId}`)).body.port.status, 'ACTIVE');
  });

  it('rejects malformed bodies with 400 Ecs.0005', async () => {
    const s = server();
    const portId = await freePort(s);
    const bodies: unknown[] = ['{"nics":', {}, { nics: [] }, { nics: [{}] }, { nics: [{ port_id: 5 }] }, { nics: [{ subnet_id: 'x', security_groups: ['sg'] }] }, { nics: [{ port_id: portId }, { port_id: portId }] }, { nics: Array.from({ length: 11 }, () => ({ port_id: portId })) }, { nics: [{ port_id: '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d' }] }];
    for (const body of bodies) assertEcsError(await e.call('POST', `cloudservers/${s.id}/nics`, { body }), 400, 'Ecs.0005');
    assert.equal(e.t.emulator.control.state().jobs.length, 0, 'no job was accepted');
  });
});

describe('NICs from a subnet (BatchAddServerNics with subnet_id) and detaching', () => {
  it('creates the port when the job completes, with the asked IP; nic_id appears on success', async () => {
    const s = server();
    const sub = await subnetOf(s);
    const r = await attach(s.id, [{ subnet_id: sub.id, ip_address: '192.168.0.77', security_groups: [{ id: 'sg-a' }] }]);
    const jobId = r.body.job_id as string;
    const running = (await e.call('GET', `jobs/${jobId}`)).body;
    assert.equal(running.entities.sub_jobs[0].entities.nic_id, undefined);
    const done = (await finish(jobId)).body;
    assert.equal(done.status, 'SUCCESS');
    const nicId = done.entities.sub_jobs[0].entities.nic_id as string;
    const port = (await e.call('GET', `ports/${nicId}`)).body.port;
    assert.equal(port.fixed_ips[0].ip_address, '192.168.0.77');
    assert.deepEqual(port.security_groups, ['sg-a']);
    assert.equal(port.device_id, s.id);
  });

  it('applies the IP rules synchronously: in use → Ecs.0010, outside → Ecs.0039, unknown subnet → Ecs.0038', async () => {
    const s = server();
    const sub = await subnetOf(s);
    await freePort(s, '192.168.0.50');
    assertEcsError(await attach(s.id, [{ subnet_id: sub.id, ip_address: '192.168.0.50' }]), 400, 'Ecs.0010');
    assertEcsError(await attach(s.id, [{ subnet_id: sub.id, ip_address: '10.9.9.9' }]), 400, 'Ecs.0039');
    assertEcsError(await attach(s.id, [{ subnet_id: '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d' }]), 400, 'Ecs.0038');
  });

  it('reports a full subnet with 400 Ecs.0012', async () => {
    const s = server();
    const vpcId = s.metadata.vpc_id ?? '';
    const tiny = (await e.call('POST', 'subnets', { body: { subnet: { name: 'tiny', cidr: '192.168.9.0/28', gateway_ip: '192.168.9.1', vpc_id: vpcId } } })).body.subnet;
    for (let i = 0; i < 11; i++) assert.equal((await e.call('POST', 'ports', { body: { port: { network_id: tiny.id } } })).status, 201);
    assertEcsError(await attach(s.id, [{ subnet_id: tiny.id }]), 400, 'Ecs.0012');
  });

  it('detaches: an ECS-created NIC is deleted, a port_id port goes back to DOWN; primary → 403 Ecs.0086', async () => {
    const s = server();
    const sub = await subnetOf(s);
    const portId = await freePort(s);
    const job = (await attach(s.id, [{ port_id: portId }, { subnet_id: sub.id }])).body.job_id as string;
    const done = (await finish(job)).body;
    assert.equal(done.entities.sub_jobs_total, 2);
    const created = done.entities.sub_jobs[1].entities.nic_id as string;
    const primary = (await e.call('GET', `cloudservers/${s.id}/os-interface`)).body.interfaceAttachments[0].port_id as string;
    assertEcsError(await e.call('POST', `cloudservers/${s.id}/nics/delete`, { body: { nics: [{ id: primary }] } }), 403, 'Ecs.0086');
    assertEcsError(await e.call('POST', `cloudservers/${s.id}/nics/delete`, { body: { nics: [{}] } }), 400, 'Ecs.0005');
    const del = await e.call('POST', `cloudservers/${s.id}/nics/delete`, { body: { nics: [{ id: portId }, { id: created }] } });
    assert.equal(del.status, 200);
    const j = (await finish(del.body.job_id)).body;
    assert.equal(j.status, 'SUCCESS');
    assert.equal(j.job_type, 'deleteNicsForServer');
    const kept = (await e.call('GET', `ports/${portId}`)).body.port;
    assert.equal(kept.status, 'DOWN');
    assert.equal(kept.device_id, '');
    assert.equal(kept.device_owner, '');
    assert.equal((await e.call('GET', `ports/${created}`)).status, 404);
    assert.equal((await e.call('GET', `cloudservers/${s.id}/os-interface`)).body.interfaceAttachments.length, 1);
    assert.equal((await e.call('DELETE', `ports/${portId}`)).status, 204, 'a detached port can be deleted');
  });

  it('purges finished jobs after the retention period (ShowJob → 404)', async () => {
    const s = server();
    const job = (await attach(s.id, [{ port_id: await freePort(s) }])).body.job_id as string;
    await finish(job);
    clock.advance(24 * 3600 * 1000 + 1);
    assertEcsError(await e.call('GET', `jobs/${job}`), 404, 'Ecs.0000');
  });
});

describe('NIC limit as a job failure (limits.nic_limit_mode = job)', () => {
  let j: SignedEmulator;
  const c = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
  before(async () => {
    j = await startSigned({ clock: c, limits: { nic_limit_mode: 'job' }, timings: { job_ms: { min: 100, max: 100 } } });
  });
  after(() => j.t.stop());

  it('accepts the job and ends it FAIL with Ecs.0050, leaving the port DOWN', async () => {
    const s = j.t.emulator.control.createServer({ max_nics: 1 });
    const sub = (await j.call('GET', 'subnets')).body.subnets[0];
    const port = (await j.call('POST', 'ports', { body: { port: { network_id: sub.id } } })).body.port;
    const r = await j.call('POST', `cloudservers/${s.id}/nics`, { body: { nics: [{ port_id: port.id }] } });
    assert.equal(r.status, 200);
    c.advance(100);
    const job = (await j.call('GET', `jobs/${r.body.job_id}`)).body;
    assert.equal(job.status, 'FAIL');
    assert.equal(job.error_code, 'Ecs.0050');
    assert.equal(job.entities.sub_jobs[0].status, 'FAIL');
    assert.equal(job.entities.sub_jobs[0].error_code, 'Ecs.0050');
    assert.equal((await j.call('GET', `ports/${port.id}`)).body.port.status, 'DOWN');
  });
});
