/**
 * The emulator's configuration on a running instance: job durations taken as a whole (`{min, max}` alone is
 * uniform), the `limits` section of PUT /_emulator/config (validated; a bad value changes nothing; reset
 * restores), the UNVERIFIED choices made configurable (reserved tail, port_id NIC on detach, clock-skew code),
 * and the quota exemption of what the control API makes.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatSdkDate } from '../../../src/cloud/signer.js';
import { manualClock } from '../../../src/lib/clock.js';
import { createEmulator } from '../../../src/emulator/index.js';
import type { EmulatorConfigView } from '../../../src/emulator/types.js';
import { startSigned, type SignedEmulator, type SignedResponse } from './signed-fetch.js';

const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
let e: SignedEmulator;

before(async () => {
  // job_ms given as {min, max} only, exactly as src/app/roles/emulator.ts passes it.
  e = await startSigned({ clock, timings: { job_ms: { min: 1000, max: 3000 } } });
});
after(() => e.t.stop());
beforeEach(() => e.t.control.reset());

/** PUT /_emulator/config with a raw body; returns status and parsed body (the helper throws on 4xx). */
async function putConfig(body: unknown): Promise<{ status: number; body: { error?: { code: string; message: string } } & Partial<EmulatorConfigView> }> {
  const res = await fetch(`${e.t.url}/_emulator/config`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as never };
}

function assertCode(r: SignedResponse, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code ?? r.body.error?.code ?? r.body.error_code, code, JSON.stringify(r.body));
}

async function serverSubnet(opts: { max_nics?: number; status?: string } = {}): Promise<{ serverId: string; vpcId: string; subnetId: string }> {
  const s = await e.t.control.createServer(opts);
  const vpcId = s.metadata.vpc_id ?? '';
  const subnet = (await e.call('GET', 'subnets', { query: [['vpc_id', vpcId]] })).body.subnets[0];
  return { serverId: s.id, vpcId, subnetId: subnet.id as string };
}

async function newPort(subnetId: string, ip?: string): Promise<SignedResponse> {
  return e.call('POST', 'ports', { body: { port: { network_id: subnetId, ...(ip ? { fixed_ips: [{ ip_address: ip }] } : {}) } } });
}

/** Attach `count` ports to a new server one after the other, each job run to its end: their durations. */
async function jobDurations(count: number): Promise<number[]> {
  const { serverId, subnetId } = await serverSubnet({ max_nics: 64 });
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const port = (await newPort(subnetId)).body.port;
    const job = (await e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics: [{ port_id: port.id }] } })).body.job_id;
    clock.advance(3000);
    const j = (await e.call('GET', `jobs/${job}`)).body;
    out.push(Date.parse(j.end_time) - Date.parse(j.begin_time));
  }
  return out;
}

function assertUniformSpread(d: number[], min: number, max: number): void {
  assert.ok(d.every((x) => x >= min && x <= max), d.join(','));
  const atMax = d.filter((x) => x === max).length;
  assert.ok(atMax <= 2, `uniform, not clipped to max: ${atMax} of ${d.length} at ${max} (${d.join(',')})`);
  assert.ok(new Set(d).size >= d.length - 2, `spread: ${d.join(',')}`);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  assert.ok(mean > min + (max - min) * 0.3 && mean < min + (max - min) * 0.7, `mean ${mean} near the middle`);
}

describe('job durations are taken as a whole', () => {
  it('createEmulator with job_ms {min, max} only draws uniformly in min..max (no default median/sigma)', async () => {
    assert.deepEqual((await e.t.control.config()).timings.job_ms, { min: 1000, max: 3000 });
    await e.t.control.configure({ seed: 7 });
    assertUniformSpread(await jobDurations(20), 1000, 3000);
  });

  it('PUT job_ms {min, max} after a log-normal one is uniform too; median/sigma go together', async () => {
    await e.t.control.configure({ timings: { job_ms: { min: 1000, max: 3000, median: 10_000, sigma: 0.5 } } });
    const after = await e.t.control.configure({ seed: 11, timings: { job_ms: { min: 1000, max: 3000 } } });
    assert.deepEqual(after.timings.job_ms, { min: 1000, max: 3000 });
    assertUniformSpread(await jobDurations(20), 1000, 3000);
    for (const job_ms of [{ min: 1, max: 2, median: 1 }, { min: 1, max: 2, sigma: 1 }, { max: 5 }, { min: 1, max: 2, mean: 1 }]) {
      const r = await putConfig({ timings: { job_ms } });
      assert.equal(r.status, 400, JSON.stringify(job_ms));
      assert.match(r.body.error?.message ?? '', /timings\.job_ms/);
    }
    assert.deepEqual((await e.t.control.config()).timings.job_ms, { min: 1000, max: 3000 }, 'rejected patches changed nothing');
  });
});

describe('PUT /_emulator/config limits', () => {
  it('changes limits on the running emulator; GET shows them; reset restores the construction values', async () => {
    const before = await e.t.control.config();
    const changed = await e.t.control.configure({
      limits: { vpc_quota: 1, max_nics: 3, nic_limit_mode: 'job', attach_allowed_states: ['ACTIVE'], cross_vpc_code: 'Ecs.0014' },
    });
    assert.equal(changed.limits.vpc_quota, 1);
    assert.equal(changed.limits.max_nics, 3);
    assert.equal(changed.limits.nic_limit_mode, 'job');
    assert.deepEqual(changed.limits.attach_allowed_states, ['ACTIVE']);
    assert.equal(changed.limits.cross_vpc_code, 'Ecs.0014');
    assert.equal(changed.limits.subnet_quota, before.limits.subnet_quota, 'keys not given keep their value');
    assert.deepEqual((await e.t.control.config()).limits, changed.limits);
    const patched = await fetch(`${e.t.url}/_emulator/config`, { method: 'PATCH', body: JSON.stringify({ limits: { port_quota: 7 } }) });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as EmulatorConfigView).limits.port_quota, 7, 'PATCH is the same partial update');
    await e.t.control.reset();
    assert.deepEqual((await e.t.control.config()).limits, before.limits);
  });

  it('createEmulator validates limits and job_ms the same way', () => {
    const creds = e.t.credentials;
    assert.throws(() => createEmulator({ ...creds, limits: { max_nics: 0 } }), /limits\.max_nics must be an integer in 1\.\.128/);
    assert.throws(() => createEmulator({ ...creds, limits: { nic_limit_mode: 'later' as 'job' } }), /limits\.nic_limit_mode/);
    assert.throws(() => createEmulator({ ...creds, timings: { job_ms: { min: 1, max: 2, median: 1 } } }), /median and sigma go together/);
  });

  it('rejects a bad value with 400 naming the field, and changes nothing (not even the valid keys beside it)', async () => {
    const before = await e.t.control.config();
    const cases: Array<[unknown, RegExp]> = [
      [{ limits: { vpc_quota: -1 } }, /limits\.vpc_quota/],
      [{ limits: { subnet_quota: 1.5 } }, /limits\.subnet_quota/],
      [{ limits: { port_quota: '10' } }, /limits\.port_quota/],
      [{ limits: { max_nics: 0 } }, /limits\.max_nics/],
      [{ limits: { nic_limit_mode: 'async' } }, /limits\.nic_limit_mode/],
      [{ limits: { attach_allowed_states: 'ACTIVE' } }, /limits\.attach_allowed_states/],
      [{ limits: { attach_allowed_states: ['active'] } }, /limits\.attach_allowed_states/],
      [{ limits: { cross_vpc_code: 'Ecs.9999' } }, /limits\.cross_vpc_code/],
      [{ limits: { reserved_tail_ips: 0 } }, /limits\.reserved_tail_ips/],
      [{ limits: { port_id_nic_on_detach: 'drop' } }, /limits\.port_id_nic_on_detach/],
      [{ limits: { clock_skew_code: 'APIGW.0308' } }, /limits\.clock_skew_code/],
      [{ limits: { availability_zones: [] } }, /limits\.availability_zones/],
      [{ limits: { bogus: 1 } }, /unknown limit: bogus/],
      [{ limits: [] }, /limits must be an object/],
      [{ faults: { latency_ms: 5 }, limits: { vpc_quota: 2, max_nics: 999 } }, /limits\.max_nics/],
    ];
    for (const [body, message] of cases) {
      const r = await putConfig(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error?.code, 'EMULATOR.BAD_CONFIG');
      assert.match(r.body.error?.message ?? '', message);
    }
    assert.deepEqual(await e.t.control.config(), before, 'no rejected patch changed anything');
  });

  it('quotas, max_nics (also for existing servers), nic_limit_mode, attach_allowed_states and cross_vpc_code take effect', async () => {
    const { serverId, subnetId } = await serverSubnet();
    const other = await serverSubnet();
    await e.t.control.configure({ limits: { vpc_quota: 1, subnet_quota: 2, port_quota: 2, max_nics: 2, cross_vpc_code: 'Ecs.0014' } });
    assert.equal((await e.call('POST', 'vpcs', { body: { vpc: { name: 'a' } } })).status, 200);
    assertCode(await e.call('POST', 'vpcs', { body: { vpc: { name: 'b' } } }), 409, 'VPC.0114');
    // max_nics 2 applies at once to a server created without its own max_nics.
    assert.equal((await e.call('GET', `cloudservers/${serverId}/os-interface`)).body.attachableQuantity.free_nic, 1);
    const p1 = (await newPort(subnetId)).body.port;
    const p2 = (await newPort(subnetId)).body.port;
    assertCode(await newPort(subnetId), 409, 'VPC.0114');
    assertCode(await e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics: [{ port_id: p1.id }, { port_id: p2.id }] } }), 400, 'Ecs.0050');
    assertCode(await e.call('POST', `cloudservers/${other.serverId}/nics`, { body: { nics: [{ port_id: p1.id }] } }), 400, 'Ecs.0014');
    // nic_limit_mode job: accepted, then the job FAILs with Ecs.0050.
    await e.t.control.configure({ limits: { nic_limit_mode: 'job', max_nics: 1 } });
    const job = (await e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics: [{ port_id: p1.id }] } })).body.job_id;
    clock.advance(3000);
    const j = (await e.call('GET', `jobs/${job}`)).body;
    assert.equal(j.status, 'FAIL');
    assert.equal(j.error_code, 'Ecs.0050');
    // attach_allowed_states without SHUTOFF: a stopped server is refused with Ecs.0100.
    await e.t.control.configure({ limits: { attach_allowed_states: ['ACTIVE'], max_nics: 12 } });
    await e.t.control.updateServer(serverId, { status: 'SHUTOFF' });
    assertCode(await e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics: [{ port_id: p1.id }] } }), 400, 'Ecs.0100');
  });

  it('reserved_tail_ips: 2 frees broadcast-2 for ports; the default 3 refuses it', async () => {
    const { subnetId } = await serverSubnet(); // 192.168.0.0/24, gateway .1
    assertCode(await newPort(subnetId, '192.168.0.253'), 400, 'VPC.2500');
    const before = (await e.call('GET', `subnets/${subnetId}`)).body.subnet.available_ip_address_count;
    await e.t.control.configure({ limits: { reserved_tail_ips: 2 } });
    assert.equal((await e.call('GET', `subnets/${subnetId}`)).body.subnet.available_ip_address_count, before + 1);
    const r = await newPort(subnetId, '192.168.0.253');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    for (const reserved of ['192.168.0.0', '192.168.0.1', '192.168.0.254', '192.168.0.255']) assertCode(await newPort(subnetId, reserved), 400, 'VPC.2500');
  });

  it('port_id_nic_on_detach: keep (default) leaves the port DOWN; delete removes it', async () => {
    const { serverId, subnetId } = await serverSubnet();
    const detachAfterAttach = async (): Promise<string> => {
      const port = (await newPort(subnetId)).body.port;
      const add = (await e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics: [{ port_id: port.id }] } })).body.job_id;
      clock.advance(3000);
      assert.equal((await e.call('GET', `jobs/${add}`)).body.status, 'SUCCESS');
      const del = (await e.call('POST', `cloudservers/${serverId}/nics/delete`, { body: { nics: [{ id: port.id }] } })).body.job_id;
      clock.advance(3000);
      assert.equal((await e.call('GET', `jobs/${del}`)).body.status, 'SUCCESS');
      return port.id as string;
    };
    const kept = await detachAfterAttach();
    const shown = (await e.call('GET', `ports/${kept}`)).body.port;
    assert.equal(shown.status, 'DOWN');
    assert.equal(shown.device_id, '');
    await e.t.control.configure({ limits: { port_id_nic_on_detach: 'delete' } });
    assertCode(await e.call('GET', `ports/${await detachAfterAttach()}`), 404, 'VPC.2501');
  });

  it('clock_skew_code chooses the 401 code of a skewed X-Sdk-Date (APIGW.0301 by default)', async () => {
    const skewed = formatSdkDate(clock.now() - 16 * 60_000);
    assertCode(await e.call('GET', 'vpcs', { sdkDate: skewed }), 401, 'APIGW.0301');
    await e.t.control.configure({ limits: { clock_skew_code: 'APIGW.0303' } });
    const r = await e.call('GET', 'vpcs', { sdkDate: skewed });
    assertCode(r, 401, 'APIGW.0303');
    assert.deepEqual(Object.keys(r.body).sort(), ['error_code', 'error_msg', 'request_id'], 'gateway shape');
    assertCode(await e.call('GET', 'vpcs', { secretKey: 'wrong' }), 401, 'APIGW.0301');
  });
});

describe('quotas exempt what the control API makes', () => {
  it("a server's VPC, subnet and primary NIC neither count toward nor are refused by the quotas", async () => {
    await e.t.control.configure({ limits: { vpc_quota: 1, subnet_quota: 1, port_quota: 1 } });
    const { vpcId } = await serverSubnet();
    await serverSubnet(); // a second control-made VPC beyond the quota of 1 is still made
    const v = await e.call('POST', 'vpcs', { body: { vpc: { name: 'mine', cidr: '10.0.0.0/16' } } });
    assert.equal(v.status, 200, 'control-made VPCs do not use the quota');
    assertCode(await e.call('POST', 'vpcs', { body: { vpc: { name: 'two' } } }), 409, 'VPC.0114');
    clock.advance(2000);
    const s = await e.call('POST', 'subnets', { body: { subnet: { name: 's', cidr: '192.168.1.0/24', gateway_ip: '192.168.1.1', vpc_id: vpcId } } });
    assert.equal(s.status, 200, 'control-made subnets do not use the quota');
    assertCode(await e.call('POST', 'subnets', { body: { subnet: { name: 't', cidr: '192.168.2.0/24', gateway_ip: '192.168.2.1', vpc_id: vpcId } } }), 409, 'VPC.0114');
    clock.advance(3000);
    assert.equal((await newPort(s.body.subnet.id)).status, 201, 'primary NICs do not use the port quota');
    assertCode(await newPort(s.body.subnet.id), 409, 'VPC.0114');
  });

  it('deleting an API-made VPC frees its quota slot', async () => {
    await e.t.control.configure({ limits: { vpc_quota: 1 } });
    const v = (await e.call('POST', 'vpcs', { body: { vpc: { name: 'x' } } })).body.vpc;
    assertCode(await e.call('POST', 'vpcs', { body: { vpc: { name: 'y' } } }), 409, 'VPC.0114');
    clock.advance(2000);
    assert.equal((await e.call('DELETE', `vpcs/${v.id}`)).status, 204);
    assert.equal((await e.call('POST', 'vpcs', { body: { vpc: { name: 'y' } } })).status, 200);
  });
});
