/**
 * VPC v1 rules of the emulator over signed HTTP: VPCs, subnets and ports — validation codes, the VPC error-body
 * shape `{code, message}`, lifecycles on the injected clock, quotas, deletes refused while in use, IP allocation
 * skipping reserved addresses, list filters and marker pagination.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../../src/lib/clock.js';
import { startSigned, type SignedEmulator, type SignedResponse } from './signed-fetch.js';

function assertVpcError(r: SignedResponse, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body as object).sort(), ['code', 'message'], 'VPC v1 error shape');
  assert.equal(r.body.code, code);
  assert.equal(typeof r.body.message, 'string');
}

const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
let e: SignedEmulator;

before(async () => {
  e = await startSigned({
    clock,
    timings: { vpc_ready_ms: 2000, subnet_ready_ms: 3000, job_ms: { min: 0, max: 0 } },
    limits: { vpc_quota: 3, subnet_quota: 4, port_quota: 12 },
  });
});
after(() => e.t.stop());
beforeEach(() => e.t.emulator.control.reset());

async function readyVpc(name = 'v', cidr = '10.0.0.0/16'): Promise<string> {
  const r = await e.call('POST', 'vpcs', { body: { vpc: { name, cidr } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  clock.advance(2000);
  return r.body.vpc.id as string;
}

async function readySubnet(vpcId: string, cidr = '10.0.1.0/24', gateway = '10.0.1.1', name = 's'): Promise<{ id: string; neutron_subnet_id: string }> {
  const r = await e.call('POST', 'subnets', { body: { subnet: { name, cidr, gateway_ip: gateway, vpc_id: vpcId } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  clock.advance(3000);
  return r.body.subnet;
}

describe('VPCs', () => {
  it('creates CREATING with every field, then OK once vpc_ready_ms has passed on the clock', async () => {
    const r = await e.call('POST', 'vpcs', { body: { vpc: { name: 'vpc-a', cidr: '192.168.0.0/16', description: 'd' } } });
    assert.equal(r.status, 200);
    const v = r.body.vpc;
    assert.equal(v.status, 'CREATING');
    for (const k of ['id', 'name', 'description', 'cidr', 'status', 'routes', 'enterprise_project_id', 'tenant_id', 'created_at', 'updated_at']) {
      assert.ok(k in v, `vpc.${k}`);
    }
    assert.match(v.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.equal(v.tenant_id, e.t.credentials.projectId);
    clock.advance(1999);
    assert.equal((await e.call('GET', `vpcs/${v.id}`)).body.vpc.status, 'CREATING');
    clock.advance(1);
    assert.equal((await e.call('GET', `vpcs/${v.id}`)).body.vpc.status, 'OK');
  });

  it('rejects CIDRs outside the private ranges or with a prefix outside 8..28 with 400 VPC.0101', async () => {
    for (const cidr of ['8.8.0.0/16', '10.0.0.0/7', '10.0.0.0/29', '172.32.0.0/16', '192.168.1.0/16', 'nonsense', '172.16.0.0/11']) {
      assertVpcError(await e.call('POST', 'vpcs', { body: { vpc: { name: `n${cidr.length}`, cidr } } }), 400, 'VPC.0101');
    }
    assert.equal((await e.call('POST', 'vpcs', { body: { vpc: { name: 'edge', cidr: '172.16.0.0/12' } } })).status, 200);
  });

  it('rejects bad names, descriptions and bodies with 400 VPC.0101', async () => {
    assertVpcError(await e.call('POST', 'vpcs', { body: { vpc: { name: 'bad name!' } } }), 400, 'VPC.0101');
    assertVpcError(await e.call('POST', 'vpcs', { body: { vpc: { name: 'x'.repeat(65) } } }), 400, 'VPC.0101');
    assertVpcError(await e.call('POST', 'vpcs', { body: { vpc: { description: '<b>' } } }), 400, 'VPC.0101');
    assertVpcError(await e.call('POST', 'vpcs', { body: { notvpc: {} } }), 400, 'VPC.0101');
    assertVpcError(await e.call('POST', 'vpcs', { body: '{"vpc": ' }), 400, 'VPC.0101');
    assert.equal((await e.call('GET', 'vpcs')).body.vpcs.length, 0, 'nothing was created');
  });

  it('refuses a duplicate name with 400 VPC.0115 and a VPC over quota with 409 VPC.0114', async () => {
    await e.call('POST', 'vpcs', { body: { vpc: { name: 'dup' } } });
    assertVpcError(await e.call('POST', 'vpcs', { body: { vpc: { name: 'dup' } } }), 400, 'VPC.0115');
    await e.call('POST', 'vpcs', { body: { vpc: { name: 'q2' } } });
    await e.call('POST', 'vpcs', { body: { vpc: { name: 'q3' } } });
    assertVpcError(await e.call('POST', 'vpcs', { body: { vpc: { name: 'q4' } } }), 409, 'VPC.0114');
  });

  it('answers an unknown VPC with 404 VPC.0003 and a malformed id with 400 VPC.0101', async () => {
    assertVpcError(await e.call('GET', 'vpcs/6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d'), 404, 'VPC.0003');
    assertVpcError(await e.call('DELETE', 'vpcs/6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d'), 404, 'VPC.0003');
    assertVpcError(await e.call('GET', 'vpcs/not-a-uuid'), 400, 'VPC.0101');
  });

  it('refuses to delete a VPC with subnets (409 VPC.0104), then deletes it with 204 and an empty body', async () => {
    const vpcId = await readyVpc();
    const s = await readySubnet(vpcId);
    assertVpcError(await e.call('DELETE', `vpcs/${vpcId}`), 409, 'VPC.0104');
    const ds = await e.call('DELETE', `vpcs/${vpcId}/subnets/${s.id}`);
    assert.equal(ds.status, 204);
    assert.equal(ds.body, undefined);
    const dv = await e.call('DELETE', `vpcs/${vpcId}`);
    assert.equal(dv.status, 204);
    assert.equal(dv.body, undefined);
    assertVpcError(await e.call('GET', `vpcs/${vpcId}`), 404, 'VPC.0003');
  });

  it('filters ListVpcs by id and pages with limit + marker; an unknown marker is 400 VPC.0101', async () => {
    const ids: string[] = [];
    for (const name of ['p1', 'p2', 'p3']) ids.push((await e.call('POST', 'vpcs', { body: { vpc: { name } } })).body.vpc.id);
    const page1 = (await e.call('GET', 'vpcs', { query: [['limit', '2']] })).body.vpcs.map((v: { id: string }) => v.id);
    assert.deepEqual(page1, ids.slice(0, 2));
    const page2 = (await e.call('GET', 'vpcs', { query: [['limit', '2'], ['marker', ids[1] ?? '']] })).body.vpcs.map((v: { id: string }) => v.id);
    assert.deepEqual(page2, ids.slice(2));
    assert.deepEqual((await e.call('GET', 'vpcs', { query: [['id', ids[1] ?? '']] })).body.vpcs.map((v: { id: string }) => v.id), [ids[1]]);
    assertVpcError(await e.call('GET', 'vpcs', { query: [['marker', '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d']] }), 400, 'VPC.0101');
    assertVpcError(await e.call('GET', 'vpcs', { query: [['limit', '-1']] }), 400, 'VPC.0101');
  });
});

describe('subnets', () => {
  it('creates UNKNOWN with id == neutron_network_id and a distinct neutron_subnet_id, then ACTIVE', async () => {
    const vpcId = await readyVpc();
    const r = await e.call('POST', 'subnets', { body: { subnet: { name: 's1', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: vpcId } } });
    const s = r.body.subnet;
    assert.equal(s.status, 'UNKNOWN');
    assert.equal(s.id, s.neutron_network_id);
    assert.notEqual(s.id, s.neutron_subnet_id);
    assert.equal(s.dhcp_enable, true);
    assert.equal(s.available_ip_address_count, 251, '256 minus network, gateway, broadcast and the two below it');
    clock.advance(3000);
    assert.equal((await e.call('GET', `subnets/${s.id}`)).body.subnet.status, 'ACTIVE');
  });

  it('refuses a subnet in a VPC that is still CREATING with 400 VPC.0004', async () => {
    const r = await e.call('POST', 'vpcs', { body: { vpc: { name: 'young', cidr: '10.0.0.0/16' } } });
    const body = { subnet: { name: 's', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: r.body.vpc.id } };
    assertVpcError(await e.call('POST', 'subnets', { body }), 400, 'VPC.0004');
    clock.advance(2000);
    assert.equal((await e.call('POST', 'subnets', { body })).status, 200);
  });

  it('applies the CIDR rules: inside the VPC (VPC.0203), no overlap (VPC.0204), valid CIDR (VPC.0212), gateway inside (VPC.0201)', async () => {
    const vpcId = await readyVpc();
    await readySubnet(vpcId, '10.0.1.0/24', '10.0.1.1');
    const post = (cidr: string, gateway_ip: string) =>
      e.call('POST', 'subnets', { body: { subnet: { name: 'x', cidr, gateway_ip, vpc_id: vpcId } } });
    assertVpcError(await post('10.1.0.0/24', '10.1.0.1'), 400, 'VPC.0203');
    assertVpcError(await post('10.0.1.128/25', '10.0.1.129'), 400, 'VPC.0204');
    assertVpcError(await post('10.0.0.0/23', '10.0.0.1'), 400, 'VPC.0204');
    assertVpcError(await post('10.0.2.0/29', '10.0.2.1'), 400, 'VPC.0212');
    assertVpcError(await post('10.0.2.1/24', '10.0.2.1'), 400, 'VPC.0212');
    assertVpcError(await post('10.0.2.0/24', '10.0.3.1'), 400, 'VPC.0201');
    assertVpcError(await post('10.0.2.0/24', '10.0.2.0'), 400, 'VPC.0201');
    assertVpcError(await post('10.0.2.0/24', '10.0.2.255'), 400, 'VPC.0201');
    assert.equal((await post('10.0.2.0/28', '10.0.2.1')).status, 200);
    // A well-formed public CIDR in a private VPC is outside the VPC (VPC.0203), not an invalid CIDR (VPC.0212).
    assertVpcError(await post('8.8.8.0/24', '8.8.8.1'), 400, 'VPC.0203');
  });

  it('refuses a public subnet CIDR in a VPC without a CIDR with 400 VPC.0212', async () => {
    const r = await e.call('POST', 'vpcs', { body: { vpc: { name: 'nocidr' } } });
    clock.advance(2000);
    const post = await e.call('POST', 'subnets', { body: { subnet: { name: 'x', cidr: '8.8.8.0/24', gateway_ip: '8.8.8.1', vpc_id: r.body.vpc.id } } });
    assertVpcError(post, 400, 'VPC.0212');
  });

  it('validates names, DNS, AZ and DHCP options with 400 VPC.0201, and an unknown VPC with 404 VPC.0003', async () => {
    const vpcId = await readyVpc();
    const base = { name: 's', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: vpcId };
    for (const extra of [{ name: '' }, { primary_dns: '1.2.3' }, { dnsList: ['x'] }, { availability_zone: 'mars-1a' }, { extra_dhcp_opts: [{ opt_name: 'bogus' }] }, { dhcp_enable: 'yes' }]) {
      assertVpcError(await e.call('POST', 'subnets', { body: { subnet: { ...base, ...extra } } }), 400, 'VPC.0201');
    }
    assertVpcError(await e.call('POST', 'subnets', { body: '[' }), 400, 'VPC.0201');
    assertVpcError(await e.call('POST', 'subnets', { body: { subnet: { ...base, vpc_id: '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d' } } }), 404, 'VPC.0003');
    const ok = await e.call('POST', 'subnets', {
      body: { subnet: { ...base, primary_dns: '100.125.1.250', availability_zone: 'cn-north-4a', extra_dhcp_opts: [{ opt_name: 'ntp', opt_value: '10.0.0.1' }] } },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.subnet.dnsList, ['100.125.1.250']);
  });

  it('enforces the subnet quota with 409 VPC.0114', async () => {
    const vpcId = await readyVpc();
    for (let i = 0; i < 4; i++) await readySubnet(vpcId, `10.0.${i}.0/24`, `10.0.${i}.1`, `s${i}`);
    const r = await e.call('POST', 'subnets', { body: { subnet: { name: 's9', cidr: '10.0.9.0/24', gateway_ip: '10.0.9.1', vpc_id: vpcId } } });
    assertVpcError(r, 409, 'VPC.0114');
  });

  it('filters ListSubnets by vpc_id; DeleteSubnet checks the path VPC (VPC.0207), in-use (409 VPC.0208) and 404 VPC.0202', async () => {
    const a = await readyVpc('a');
    const b = await readyVpc('b');
    const sa = await readySubnet(a);
    await readySubnet(b, '10.0.5.0/24', '10.0.5.1');
    const listed = (await e.call('GET', 'subnets', { query: [['vpc_id', a]] })).body.subnets.map((s: { id: string }) => s.id);
    assert.deepEqual(listed, [sa.id]);
    assertVpcError(await e.call('DELETE', `vpcs/${b}/subnets/${sa.id}`), 400, 'VPC.0207');
    const port = await e.call('POST', 'ports', { body: { port: { network_id: sa.id } } });
    assertVpcError(await e.call('DELETE', `vpcs/${a}/subnets/${sa.id}`), 409, 'VPC.0208');
    await e.call('DELETE', `ports/${port.body.port.id}`);
    assert.equal((await e.call('DELETE', `vpcs/${a}/subnets/${sa.id}`)).status, 204);
    assertVpcError(await e.call('GET', `subnets/${sa.id}`), 404, 'VPC.0202');
  });
});

describe('ports', () => {
  it('creates with 201, DOWN, the full field set, and allocates IPs skipping network and gateway', async () => {
    const vpcId = await readyVpc();
    const s = await readySubnet(vpcId, '10.0.1.0/28', '10.0.1.1');
    const r = await e.call('POST', 'ports', { body: { port: { network_id: s.id, name: 'p' } } });
    assert.equal(r.status, 201);
    const p = r.body.port;
    assert.equal(p.status, 'DOWN');
    assert.equal(p.device_id, '');
    assert.equal(p.device_owner, '');
    assert.deepEqual(p.fixed_ips, [{ ip_address: '10.0.1.2', subnet_id: s.neutron_subnet_id }]);
    assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(p.security_groups.length, 1, 'the default security group');
    for (const k of ['admin_state_up', 'allowed_address_pairs', 'extra_dhcp_opts', 'binding:vnic_type', 'binding:vif_details', 'binding:profile', 'dns_assignment', 'dns_name', 'port_security_enabled', 'zone_id', 'instance_id', 'instance_type', 'tenant_id']) {
      assert.ok(k in p, `port.${k}`);
    }
  });

  it('never hands out the reserved addresses and reports a full subnet with 409 VPC.0702', async () => {
    const vpcId = await readyVpc();
    const s = await readySubnet(vpcId, '10.0.1.16/28', '10.0.1.17');
    const ips: string[] = [];
    for (let i = 0; i < 11; i++) {
      const r = await e.call('POST', 'ports', { body: { port: { network_id: s.id } } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ips.push(r.body.port.fixed_ips[0].ip_address);
    }
    assert.deepEqual(ips, Array.from({ length: 11 }, (_, i) => `10.0.1.${18 + i}`), '.16 network, .17 gateway, .29-.31 reserved');
    assertVpcError(await e.call('POST', 'ports', { body: { port: { network_id: s.id } } }), 409, 'VPC.0702');
    for (const reserved of ['10.0.1.16', '10.0.1.17', '10.0.1.29', '10.0.1.30', '10.0.1.31']) {
      assertVpcError(await e.call('POST', 'ports', { body: { port: { network_id: s.id, fixed_ips: [{ ip_address: reserved }] } } }), 400, 'VPC.2500');
    }
  });

  it('takes a fixed IP; in use → 409 VPC.0701; outside the subnet or a wrong neutron subnet id → 400 VPC.2500', async () => {
    const vpcId = await readyVpc();
    const s = await readySubnet(vpcId);
    const port = (fixed: object) => e.call('POST', 'ports', { body: { port: { network_id: s.id, fixed_ips: [fixed] } } });
    const r = await port({ ip_address: '10.0.1.50', subnet_id: s.neutron_subnet_id });
    assert.equal(r.status, 201);
    assert.equal(r.body.port.fixed_ips[0].ip_address, '10.0.1.50');
    assertVpcError(await port({ ip_address: '10.0.1.50' }), 409, 'VPC.0701');
    assertVpcError(await port({ ip_address: '10.0.2.50' }), 400, 'VPC.2500');
    assertVpcError(await port({ subnet_id: s.id }), 400, 'VPC.2500');
    assertVpcError(await e.call('POST', 'ports', { body: { port: { network_id: s.id, fixed_ips: [{}, {}] } } }), 400, 'VPC.2500');
  });

  it('validates the body with 400 VPC.2500 and an unknown network with 404 VPC.0202', async () => {
    const vpcId = await readyVpc();
    const s = await readySubnet(vpcId);
    for (const port of [{}, { network_id: s.id, security_groups: [{ id: 'x' }] }, { network_id: s.id, admin_state_up: false }, { network_id: s.id, device_owner: 'compute:x' }, { network_id: s.id, allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] }]) {
      assertVpcError(await e.call('POST', 'ports', { body: { port } }), 400, 'VPC.2500');
    }
    assertVpcError(await e.call('POST', 'ports', { body: 'nope' }), 400, 'VPC.2500');
    assertVpcError(await e.call('POST', 'ports', { body: { port: { network_id: '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d' } } }), 404, 'VPC.0202');
  });

  it('refuses ports in a subnet that is not ACTIVE yet with 500 VPC.0205, and over quota with 409 VPC.0114', async () => {
    const vpcId = await readyVpc();
    const r = await e.call('POST', 'subnets', { body: { subnet: { name: 's', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', vpc_id: vpcId } } });
    assertVpcError(await e.call('POST', 'ports', { body: { port: { network_id: r.body.subnet.id } } }), 500, 'VPC.0205');
    clock.advance(3000);
    for (let i = 0; i < 12; i++) assert.equal((await e.call('POST', 'ports', { body: { port: { network_id: r.body.subnet.id } } })).status, 201);
    assertVpcError(await e.call('POST', 'ports', { body: { port: { network_id: r.body.subnet.id } } }), 409, 'VPC.0114');
  });

  it('filters ListPorts by name, id[], network_id, device_id, status, mac, fixed_ips[] and security_groups[]', async () => {
    const server = e.t.emulator.control.createServer({ name: 'srv' });
    const vpcId = server.metadata.vpc_id ?? '';
    const s = await readySubnet(vpcId, '192.168.5.0/24', '192.168.5.1');
    const mk = (port: object) => e.call('POST', 'ports', { body: { port: { network_id: s.id, ...port } } }).then((r) => r.body.port);
    const a = await mk({ name: 'alpha', fixed_ips: [{ ip_address: '192.168.5.10' }], security_groups: ['sg-1', 'sg-2'] });
    const b = await mk({ name: 'beta', fixed_ips: [{ ip_address: '192.168.5.11' }] });
    const ids = async (query: Array<[string, string]>) => (await e.call('GET', 'ports', { query })).body.ports.map((p: { id: string }) => p.id);
    assert.deepEqual(await ids([['name', 'alpha']]), [a.id]);
    assert.deepEqual(await ids([['id', a.id], ['id', b.id]]), [a.id, b.id]);
    assert.deepEqual(await ids([['network_id', s.id]]), [a.id, b.id]);
    assert.deepEqual(await ids([['fixed_ips', 'ip_address=192.168.5.11']]), [b.id]);
    assert.deepEqual(await ids([['fixed_ips', 'ip_address=192.168.5.11'], ['fixed_ips', 'ip_address=192.168.5.10']]), [a.id, b.id]);
    assert.deepEqual(await ids([['fixed_ips', `subnet_id=${s.neutron_subnet_id}`], ['fixed_ips', 'ip_address=192.168.5.10']]), [a.id]);
    assert.deepEqual(await ids([['security_groups', 'sg-2']]), [a.id]);
    assert.deepEqual(await ids([['mac_address', b.mac_address]]), [b.id]);
    const primary = await ids([['device_id', server.id]]);
    assert.equal(primary.length, 1, 'the primary NIC is a port with device_id = the server');
    assert.deepEqual(await ids([['status', 'ACTIVE']]), primary);
    assert.deepEqual(await ids([['device_owner', 'compute:cn-north-4a']]), primary);
    assert.deepEqual(await ids([['status', 'DOWN'], ['network_id', s.id], ['limit', '1']]), [a.id]);
    assert.deepEqual(await ids([['network_id', s.id], ['marker', a.id]]), [b.id]);
    assertVpcError(await e.call('GET', 'ports', { query: [['fixed_ips', 'mac=1']] }), 400, 'VPC.2500');
    assertVpcError(await e.call('GET', 'ports', { query: [['marker', 'missing']] }), 400, 'VPC.2500');
  });

  it('answers unknown ports with 404 VPC.2501 and deletes a free port with 204', async () => {
    assertVpcError(await e.call('GET', 'ports/6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d'), 404, 'VPC.2501');
    assertVpcError(await e.call('DELETE', 'ports/6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d'), 404, 'VPC.2501');
    const vpcId = await readyVpc();
    const s = await readySubnet(vpcId);
    const p = (await e.call('POST', 'ports', { body: { port: { network_id: s.id } } })).body.port;
    const d = await e.call('DELETE', `ports/${p.id}`);
    assert.equal(d.status, 204);
    assert.equal(d.body, undefined);
    assert.equal((await e.call('GET', `subnets/${s.id}`)).body.subnet.available_ip_address_count, 251, 'the address was freed');
  });
});
