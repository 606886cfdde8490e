/**
 * The project's own cloud client (src/cloud createCloudClient) against the emulator over HTTP: the whole attach
 * flow, each rule as a classified CloudError (code, cloud code, HTTP status, retryable), the faults one by one,
 * and the rule set again with faults on (latency + a seeded error_rate: GETs retried by the client, POSTs not).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCloudClient, isCloudError, type ClosableCloudClient, type CloudError } from '../../../src/cloud/index.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import type { OperationName, ServerDetail } from '../../../src/cloud/types.js';
import { cloudError, waitForJobEnd } from '../../helpers/cloud.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';

function expectCode(err: CloudError, code: string, cloudCode: string | undefined, status: number | undefined, retryable: boolean): void {
  assert.equal(err.code, code, err.message);
  assert.equal(err.cloudCode, cloudCode);
  assert.equal(err.cloudHttpStatus, status);
  assert.equal(err.retryable, retryable);
}

let t: TestEmulator;
let client: ClosableCloudClient;

before(async () => {
  t = await startTestEmulator({
    timings: { vpc_ready_ms: 100, subnet_ready_ms: 100, job_ms: { min: 100, max: 300 } },
    limits: { vpc_quota: 4 },
  });
  client = createCloudClient(t.cloudOptions, { logger: silentLogger() });
});
after(async () => {
  client.close();
  await t.stop();
});
beforeEach(async () => {
  await t.control.reset();
});

async function readySubnetOf(server: ServerDetail): Promise<string> {
  const subnets = await client.listAllSubnets({ vpc_id: server.metadata.vpc_id ?? '' });
  const id = subnets[0]?.id;
  assert.ok(id);
  return id;
}

describe('the project client runs the attach flow', () => {
  it('CreateVpc → OK → CreateSubnet → ACTIVE → CreatePort → BatchAddServerNics → SUCCESS → NIC listed', async () => {
    const vpc = await client.createVpc({ name: 'flow', cidr: '10.20.0.0/16' });
    assert.equal(vpc.status, 'CREATING');
    await waitUntil(async () => ((await client.showVpc(vpc.id)).status === 'OK' ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    const server = await t.control.createServer({ vpc_id: vpc.id });
    const subnet = await client.createSubnet({ name: 'flow-s', cidr: '10.20.1.0/24', gateway_ip: '10.20.1.1', vpc_id: vpc.id });
    await waitUntil(async () => ((await client.showSubnet(subnet.id)).status === 'ACTIVE' ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    const port = await client.createPort({ network_id: subnet.id, name: 'att-1', fixed_ips: [{ ip_address: '10.20.1.9', subnet_id: subnet.neutron_subnet_id }] });
    assert.equal(port.status, 'DOWN');
    const { job_id } = await client.batchAddServerNics(server.id, [{ port_id: port.id }]);
    const job = await waitForJobEnd(client, job_id);
    assert.equal(job.status, 'SUCCESS');
    assert.equal(job.entities.sub_jobs?.[0]?.entities.nic_id, port.id);
    const ifs = await client.listServerInterfaces(server.id);
    assert.ok(ifs.interfaceAttachments.some((a) => a.port_id === port.id && a.fixed_ips[0]?.ip_address === '10.20.1.9'));
    assert.equal((await client.showPort(port.id)).status, 'ACTIVE');
    const shown = await client.showServer(server.id);
    assert.equal(shown.addresses[vpc.id]?.length, 2);
    assert.equal((await client.showServerAttachableNicNum(server.id)).attachableQuantity.free_nic, 10);
    const found = await client.listPorts({ name: 'att-1', fixed_ips: ['ip_address=10.20.1.9'] });
    assert.deepEqual(found.map((p) => p.id), [port.id]);
    // detach and clean up
    const del = await client.batchDeleteServerNics(server.id, [port.id]);
    await waitUntil(async () => ((await client.showJob(del.job_id)).status === 'SUCCESS' ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    await client.deletePort(port.id);
    assert.equal((await cloudError(client.showPort(port.id))).isNotFound, true);
  });

  it('follows markers in listAll* across pages', async () => {
    const server = await t.control.createServer({});
    const subnetId = await readySubnetOf(server);
    for (let i = 0; i < 5; i++) await client.createPort({ network_id: subnetId, name: `pg-${i}` });
    const page = await client.listPorts({ network_id: subnetId, limit: 2 });
    assert.equal(page.length, 2);
    const all = await client.listAllPorts({ network_id: subnetId, limit: 2 });
    assert.equal(all.length, 6, 'five ports and the primary NIC');
  });
});

describe('the project client sees each rule as a classified CloudError', () => {
  it('VPC rules', async () => {
    await t.control.configure({ timings: { vpc_ready_ms: 60_000 } }); // VPCs stay CREATING for this test (reset restores)
    await client.createVpc({ name: 'dup', cidr: '10.0.0.0/16' });
    expectCode(await cloudError(client.createVpc({ name: 'dup' })), 'CLOUD_BAD_REQUEST', 'VPC.0115', 400, false);
    expectCode(await cloudError(client.createVpc({ name: 'pub', cidr: '8.8.8.0/24' })), 'CLOUD_BAD_REQUEST', 'VPC.0101', 400, false);
    for (const n of ['q2', 'q3', 'q4']) await client.createVpc({ name: n });
    expectCode(await cloudError(client.createVpc({ name: 'q5' })), 'CLOUD_CONFLICT', 'VPC.0114', 409, false);
    const young = (await client.listAllVpcs()).find((v) => v.name === 'q4');
    assert.ok(young);
    expectCode(
      await cloudError(client.createSubnet({ name: 's', cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', vpc_id: young.id })),
      'CLOUD_BAD_REQUEST',
      'VPC.0004',
      400,
      false,
    );
    expectCode(await cloudError(client.showVpc('6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d')), 'CLOUD_NOT_FOUND', 'VPC.0003', 404, false);
  });

  it('subnet and port rules', async () => {
    const server = await t.control.createServer({});
    const vpcId = server.metadata.vpc_id ?? '';
    const subnetId = await readySubnetOf(server);
    expectCode(await cloudError(client.createSubnet({ name: 's', cidr: '10.1.0.0/24', gateway_ip: '10.1.0.1', vpc_id: vpcId })), 'CLOUD_BAD_REQUEST', 'VPC.0203', 400, false);
    expectCode(await cloudError(client.createSubnet({ name: 's', cidr: '192.168.0.128/25', gateway_ip: '192.168.0.129', vpc_id: vpcId })), 'CLOUD_BAD_REQUEST', 'VPC.0204', 400, false);
    await client.createPort({ network_id: subnetId, fixed_ips: [{ ip_address: '192.168.0.40' }] });
    expectCode(await cloudError(client.createPort({ network_id: subnetId, fixed_ips: [{ ip_address: '192.168.0.40' }] })), 'CLOUD_CONFLICT', 'VPC.0701', 409, false);
    expectCode(await cloudError(client.deleteVpc(vpcId)), 'CLOUD_CONFLICT', 'VPC.0104', 409, false);
    expectCode(await cloudError(client.deleteSubnet(vpcId, subnetId)), 'CLOUD_CONFLICT', 'VPC.0208', 409, false);
    const primary = (await client.listPorts({ device_id: server.id }))[0];
    assert.ok(primary);
    expectCode(await cloudError(client.deletePort(primary.id)), 'CLOUD_CONFLICT', 'VPC.2511', 409, false);
  });

  it('NIC rules', async () => {
    const server = await t.control.createServer({ max_nics: 2 });
    const other = await t.control.createServer({});
    const subnetId = await readySubnetOf(server);
    const foreign = await client.createPort({ network_id: await readySubnetOf(other) });
    expectCode(await cloudError(client.batchAddServerNics(server.id, [{ port_id: foreign.id }])), 'CLOUD_BAD_REQUEST', 'Ecs.0064', 400, false);
    expectCode(await cloudError(client.showServer('6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d')), 'CLOUD_NOT_FOUND', 'Ecs.0114', 404, false);
    const p1 = await client.createPort({ network_id: subnetId });
    const p2 = await client.createPort({ network_id: subnetId });
    expectCode(await cloudError(client.batchAddServerNics(server.id, [{ port_id: p1.id }, { port_id: p2.id }])), 'CLOUD_BAD_REQUEST', 'Ecs.0050', 400, false);
    const { job_id } = await client.batchAddServerNics(server.id, [{ port_id: p1.id }]);
    const busy = await cloudError(client.batchAddServerNics(server.id, [{ port_id: p2.id }]));
    expectCode(busy, 'CLOUD_SERVER_BUSY', 'Ecs.0603', 501, true);
    await waitUntil(async () => ((await client.showJob(job_id)).status === 'SUCCESS' ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    expectCode(await cloudError(client.batchAddServerNics(other.id, [{ port_id: p1.id }])), 'CLOUD_BAD_REQUEST', 'Ecs.0064', 400, false);
    const same = await t.control.createServer({ vpc_id: server.metadata.vpc_id });
    expectCode(await cloudError(client.batchAddServerNics(same.id, [{ port_id: p1.id }])), 'CLOUD_BAD_REQUEST', 'Ecs.0919', 400, false);
    const stopped = await t.control.createServer({ vpc_id: server.metadata.vpc_id, status: 'BUILD' });
    expectCode(await cloudError(client.batchAddServerNics(stopped.id, [{ port_id: p2.id }])), 'CLOUD_BAD_REQUEST', 'Ecs.0100', 400, false);
  });

  it('subnet gateway inside the CIDR, reserved addresses never allocated nor taken, subnet and port quotas', async () => {
    const server = await t.control.createServer({});
    const vpcId = server.metadata.vpc_id ?? ''; // 192.168.0.0/16, with the control-made 192.168.0.0/24
    const subnet = (cidr: string, gateway_ip: string, name = 'g') => client.createSubnet({ name, cidr, gateway_ip, vpc_id: vpcId });
    expectCode(await cloudError(subnet('192.168.1.0/24', '192.168.2.1')), 'CLOUD_BAD_REQUEST', 'VPC.0201', 400, false);
    expectCode(await cloudError(subnet('192.168.1.0/24', '192.168.1.0')), 'CLOUD_BAD_REQUEST', 'VPC.0201', 400, false);
    expectCode(await cloudError(subnet('192.168.1.0/24', '192.168.1.255')), 'CLOUD_BAD_REQUEST', 'VPC.0201', 400, false);
    const small = await subnet('192.168.1.0/28', '192.168.1.1', 'small');
    await waitUntil(async () => ((await client.showSubnet(small.id)).status === 'ACTIVE' ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    for (const reserved of ['192.168.1.0', '192.168.1.1', '192.168.1.13', '192.168.1.14', '192.168.1.15']) {
      const err = await cloudError(client.createPort({ network_id: small.id, fixed_ips: [{ ip_address: reserved }] }));
      expectCode(err, 'CLOUD_BAD_REQUEST', 'VPC.2500', 400, false);
      assert.match(err.message, /reserved/);
    }
    const ips: string[] = [];
    for (let i = 0; i < 11; i++) ips.push((await client.createPort({ network_id: small.id })).fixed_ips[0]?.ip_address ?? '');
    assert.deepEqual(ips, Array.from({ length: 11 }, (_, i) => `192.168.1.${2 + i}`), 'network, gateway and the last three skipped');
    expectCode(await cloudError(client.createPort({ network_id: small.id })), 'CLOUD_CONFLICT', 'VPC.0702', 409, false);
    assert.equal((await client.showSubnet(small.id)).available_ip_address_count, 0);
    // Quotas: the control-made subnet and primary NIC do not count; the API-made subnet and 11 ports do.
    await t.control.configure({ limits: { subnet_quota: 1, port_quota: 11 } });
    expectCode(await cloudError(subnet('192.168.2.0/24', '192.168.2.1', 'over')), 'CLOUD_CONFLICT', 'VPC.0114', 409, false);
    const primarySubnet = await readySubnetOf(server);
    expectCode(await cloudError(client.createPort({ network_id: primarySubnet })), 'CLOUD_CONFLICT', 'VPC.0114', 409, false);
    await t.control.configure({ limits: { port_quota: 12 } });
    assert.equal((await client.createPort({ network_id: primarySubnet })).status, 'DOWN', 'room again once the quota is raised');
  });

  it('gateway rules', async () => {
    const stranger = createCloudClient(
      { ...t.cloudOptions, credentials: { kind: 'aksk', accessKey: t.credentials.accessKey, secretKey: 'wrong' }, getRetries: 0 },
      { logger: silentLogger() },
    );
    try {
      expectCode(await cloudError(stranger.listVpcs()), 'CLOUD_AUTH', 'APIGW.0301', 401, false);
    } finally {
      stranger.close();
    }
    const elsewhere = createCloudClient({ ...t.cloudOptions, projectId: 'ffffffffffffffffffffffffffffffff' }, { logger: silentLogger() });
    try {
      expectCode(await cloudError(elsewhere.listVpcs()), 'CLOUD_BAD_REQUEST', 'VPC.0007', 400, false);
    } finally {
      elsewhere.close();
    }
  });
});

describe('the project client under faults', () => {
  it('error_rate: 5xx classified retryable; GETs retried getRetries times, POSTs never', async () => {
    await t.control.configure({ faults: { error_rate: 1 } });
    expectCode(await cloudError(client.createVpc({ name: 'x' })), 'CLOUD_UNAVAILABLE', 'VPC.0105', 500, true);
    expectCode(await cloudError(client.showJob('abc')), 'CLOUD_UNAVAILABLE', 'Ecs.1000', 500, true);
    const { calls, vpcs } = await t.control.state();
    assert.equal(calls.CreateVpc, 1, 'POST not retried');
    assert.equal(calls.ShowJob, 3, 'GET tried 1 + getRetries (2) times');
    assert.equal(vpcs.length, 0);
  });

  it('throttle: 429 APIGW.0308 with retryAfterMs from Retry-After', async () => {
    await t.control.configure({ faults: { throttle_rps: 1 } });
    await client.createVpc({ name: 't1' });
    const err = await cloudError(client.createVpc({ name: 't2' }));
    expectCode(err, 'CLOUD_THROTTLED', 'APIGW.0308', 429, true);
    assert.equal(err.retryAfterMs, 1000);
    assert.equal(err.isThrottled, true);
  });

  it('drop_response_rate = 1 on CreatePort: a network error with outcomeUnknown, yet the port exists', async () => {
    const server = await t.control.createServer({});
    const subnetId = await readySubnetOf(server);
    await t.control.configure({ faults: { drop_response_rate: 1 } });
    const err = await cloudError(client.createPort({ network_id: subnetId, name: 'ghost' }));
    assert.equal(err.kind, 'network');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, true);
    await t.control.configure({ faults: { drop_response_rate: 0 } });
    assert.equal((await client.listPorts({ name: 'ghost' })).length, 1);
  });

  it('job_fail_rate = 1: the job ends FAIL with error_code and fail_reason', async () => {
    const server = await t.control.createServer({});
    const port = await client.createPort({ network_id: await readySubnetOf(server) });
    await t.control.configure({ faults: { job_fail_rate: 1 } });
    const { job_id } = await client.batchAddServerNics(server.id, [{ port_id: port.id }]);
    const job = await waitForJobEnd(client, job_id);
    assert.equal(job.status, 'FAIL');
    assert.equal(job.error_code, 'Ecs.0217');
    assert.ok(job.fail_reason);
    assert.equal((await client.showPort(port.id)).status, 'DOWN');
  });

  it('latency and faults off: the same calls succeed', async () => {
    await t.control.configure({ faults: { latency_ms: 50 } });
    const t0 = performance.now();
    assert.ok(Array.isArray(await client.listVpcs()));
    assert.ok(performance.now() - t0 >= 45);
  });
});

describe('the rule set with faults on: latency and a seeded error_rate', () => {
  /** Calls per operation this test made on purpose (each POST attempt once; GETs before client retries). */
  const asked: Partial<Record<OperationName, number>> = {};
  const note = (op: OperationName): void => {
    asked[op] = (asked[op] ?? 0) + 1;
  };
  let injected = 0;

  /** An injected 5xx (error_rate): 500 Ecs.1000 (ECS) or 500 VPC.0105 (VPC), before the operation ran. */
  const isInjected = (err: CloudError): boolean =>
    err.code === 'CLOUD_UNAVAILABLE' && (err.cloudCode === 'Ecs.1000' || err.cloudCode === 'VPC.0105');

  /**
   * A create the way a careful caller does it (huawei-cloud-api.md §1.5): look up first, POST once, and after a
   * failure look up again before another POST — the client never retries a POST by itself.
   */
  async function createOnce<T>(op: OperationName, lookup: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = await lookup();
      if (found !== undefined) return found;
      note(op);
      try {
        return await create();
      } catch (err) {
        if (!isCloudError(err) || !isInjected(err)) throw err;
        assert.equal(err.retryable, true);
        injected++;
      }
    }
    assert.fail(`${op}: still failing after 8 attempts`);
  }

  /** A call that the cloud must refuse with `cloudCode`; an injected 5xx is retried (the refusal changes nothing). */
  async function refused(op: OperationName, call: () => Promise<unknown>, cloudCode: string): Promise<void> {
    for (let attempt = 0; attempt < 8; attempt++) {
      note(op);
      const err = await cloudError(call());
      if (isInjected(err)) {
        injected++;
        continue;
      }
      assert.equal(err.cloudCode, cloudCode, err.message);
      assert.equal(err.retryable, false);
      return;
    }
    assert.fail(`${op}: still failing after 8 attempts`);
  }

  it('gives the same rule answers; GETs ride out the injected 5xx, each POST is sent once per attempt', async () => {
    const faulty = createCloudClient({ ...t.cloudOptions, getRetries: 6 }, { logger: silentLogger() });
    try {
      await t.control.configure({
        seed: 20240115,
        timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 0, max: 0 } }, // no polling: the draws stay in step
        faults: { latency_ms: 5, error_rate: 0.3 },
      });
      const get = async <T>(op: OperationName, call: () => Promise<T>): Promise<T> => {
        note(op);
        return call();
      };
      const vpc = await createOnce(
        'CreateVpc',
        async () => (await get('ListVpcs', () => faulty.listVpcs())).find((v) => v.name === 'faulty'),
        () => faulty.createVpc({ name: 'faulty', cidr: '10.30.0.0/16' }),
      );
      assert.equal((await get('ShowVpc', () => faulty.showVpc(vpc.id))).status, 'OK');
      await refused('CreateVpc', () => faulty.createVpc({ name: 'faulty' }), 'VPC.0115');
      const server = await t.control.createServer({ vpc_id: vpc.id }); // its subnet: 10.30.0.0/24
      const small = await t.control.createServer({ vpc_id: vpc.id, max_nics: 1 });
      const subnet = await createOnce(
        'CreateSubnet',
        async () => (await get('ListSubnets', () => faulty.listSubnets({ vpc_id: vpc.id }))).find((s) => s.name === 'faulty-s'),
        () => faulty.createSubnet({ name: 'faulty-s', cidr: '10.30.1.0/24', gateway_ip: '10.30.1.1', vpc_id: vpc.id }),
      );
      await refused('CreateSubnet', () => faulty.createSubnet({ name: 'x', cidr: '10.31.0.0/24', gateway_ip: '10.31.0.1', vpc_id: vpc.id }), 'VPC.0203');
      await refused('CreateSubnet', () => faulty.createSubnet({ name: 'x', cidr: '10.30.1.128/25', gateway_ip: '10.30.1.129', vpc_id: vpc.id }), 'VPC.0204');
      await refused('CreateSubnet', () => faulty.createSubnet({ name: 'x', cidr: '10.30.2.0/24', gateway_ip: '10.30.3.1', vpc_id: vpc.id }), 'VPC.0201');
      const port = await createOnce(
        'CreatePort',
        async () => (await get('ListPorts', () => faulty.listPorts({ network_id: subnet.id, fixed_ips: ['ip_address=10.30.1.9'] })))[0],
        () => faulty.createPort({ network_id: subnet.id, fixed_ips: [{ ip_address: '10.30.1.9' }] }),
      );
      await refused('CreatePort', () => faulty.createPort({ network_id: subnet.id, fixed_ips: [{ ip_address: '10.30.1.9' }] }), 'VPC.0701');
      await refused('CreatePort', () => faulty.createPort({ network_id: subnet.id, fixed_ips: [{ ip_address: '10.30.1.255' }] }), 'VPC.2500');
      const attached = async (): Promise<boolean> =>
        (await get('ListServerInterfaces', () => faulty.listServerInterfaces(server.id))).interfaceAttachments.some((a) => a.port_id === port.id);
      const accepted = await createOnce('BatchAddServerNics', async () => ((await attached()) ? { job_id: '' } : undefined), () => faulty.batchAddServerNics(server.id, [{ port_id: port.id }]));
      const job = await get('ShowJob', () => faulty.showJob(accepted.job_id));
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.entities.sub_jobs?.[0]?.entities.nic_id, port.id);
      assert.equal(await attached(), true);
      const other = await t.control.createServer({ vpc_id: vpc.id });
      await refused('BatchAddServerNics', () => faulty.batchAddServerNics(other.id, [{ port_id: port.id }]), 'Ecs.0919');
      await refused('BatchAddServerNics', () => faulty.batchAddServerNics(small.id, [{ subnet_id: subnet.id }]), 'Ecs.0050');
      const missing = await cloudError(get('ShowServer', () => faulty.showServer('6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d')));
      assert.equal(missing.cloudCode, 'Ecs.0114', 'a 404 is an answer, not retried');

      const { calls } = await t.control.state();
      const posts: OperationName[] = ['CreateVpc', 'CreateSubnet', 'CreatePort', 'BatchAddServerNics'];
      for (const op of posts) assert.equal(calls[op], asked[op], `${op}: exactly one HTTP call per attempt (no blind POST retry)`);
      const gets = (Object.keys(asked) as OperationName[]).filter((op) => !posts.includes(op));
      for (const op of gets) assert.ok(calls[op] >= (asked[op] ?? 0), op);
      const getRetries = gets.reduce((n, op) => n + calls[op] - (asked[op] ?? 0), 0);
      assert.ok(injected >= 1, `the seeded error_rate hit a POST (${injected} injected failures seen)`);
      assert.ok(getRetries >= 1, `the client retried GETs after injected 5xx (${getRetries} retries)`);
    } finally {
      faulty.close();
    }
  });
});
