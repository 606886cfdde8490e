/**
 * Conformance with a client nobody here wrote: the official Huawei Cloud Node SDK (core 3.1.211, ecs, vpc)
 * runs the whole attach flow against the emulator over HTTP, with non-zero timings so every "until" waits;
 * then the error cases as the SDK surfaces them (HTTP status, and the error code where the SDK reads one: ECS
 * `error.code` and gateway `error_code`, not VPC v1 `code` — huawei-cloud-api.md §9 pitfall 6), a FAIL job,
 * and ListVpcs v3 through the SDK's v3 VpcClient.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '../../../src/lib/clock.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';

// The SDK writes ~/.huaweicloud/application_id when a client is built: keep it out of the real home.
const home = mkdtempSync(join(tmpdir(), 'hwsdk-home-'));
process.env.HOME = home;

const core = await import('@huaweicloud/huaweicloud-sdk-core');
const ecs = await import('@huaweicloud/huaweicloud-sdk-ecs');
const vpc = await import('@huaweicloud/huaweicloud-sdk-vpc');
const vpcV3 = await import('@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js');
// The SDK configures log4js to print every error response (signed headers included) to stdout: silence it.
const log4js = await import('log4js');
log4js.default.configure({ appenders: { out: { type: 'stdout' } }, categories: { default: { appenders: ['out'], level: 'off' } } });

after(() => rmSync(home, { recursive: true, force: true }));

/** The official SDK's clients (VPC v2 and v3, ECS) on the emulator's endpoint with its credentials. */
function sdkClients(t: TestEmulator, sk = t.credentials.secretKey) {
  const cred = new core.BasicCredentials().withAk(t.credentials.accessKey).withSk(sk).withProjectId(t.credentials.projectId);
  return {
    vc: vpc.VpcClient.newBuilder().withCredential(cred).withEndpoint(t.url).build(),
    ec: ecs.EcsClient.newBuilder().withCredential(cred).withEndpoint(t.url).build(),
    v3: vpcV3.VpcClient.newBuilder().withCredential(cred).withEndpoint(t.url).build(),
  };
}

interface SdkError {
  httpStatusCode?: number | string;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

async function sdkError(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  assert.fail('expected the SDK call to fail');
}

describe('official Huawei Cloud SDK against the emulator', () => {
  let t: TestEmulator;
  let vc: InstanceType<typeof vpc.VpcClient>;
  let ec: InstanceType<typeof ecs.EcsClient>;

  before(async () => {
    t = await startTestEmulator({
      timings: { vpc_ready_ms: 150, subnet_ready_ms: 150, job_ms: { min: 200, max: 400 } },
    });
    ({ vc, ec } = sdkClients(t));
  });

  after(() => t.stop());

  it('runs CreateVpc → OK → CreateSubnet → ACTIVE → CreatePort → BatchAddServerNics → SUCCESS → NIC visible', async () => {
    const created = await vc.createVpc(
      new vpc.CreateVpcRequest().withBody(
        new vpc.CreateVpcRequestBody().withVpc(new vpc.CreateVpcOption().withName('sdk-vpc').withCidr('10.10.0.0/16')),
      ),
    );
    assert.equal(created.httpStatusCode, 200);
    const vpcId = created.vpc?.id ?? '';
    assert.equal(created.vpc?.status, 'CREATING');

    const ok = await waitUntil(
      async () => {
        const r = await vc.showVpc(new vpc.ShowVpcRequest(vpcId));
        return r.vpc?.status === 'OK' ? r.vpc : undefined;
      },
      { timeoutMs: 5000, intervalMs: 25, what: 'VPC OK' },
    );
    assert.equal(ok.cidr, '10.10.0.0/16');

    // The server must live in the VPC of its extension NICs: a control-API server in this VPC.
    const server = await t.control.createServer({ name: 'sdk-server', vpc_id: vpcId });
    assert.equal(server.metadata.vpc_id, vpcId);

    const subnetRes = await vc.createSubnet(
      new vpc.CreateSubnetRequest().withBody(
        new vpc.CreateSubnetRequestBody().withSubnet(new vpc.CreateSubnetOption('sdk-subnet', '10.10.1.0/24', vpcId, '10.10.1.1')),
      ),
    );
    const subnetId = subnetRes.subnet?.id ?? '';
    assert.equal(subnetRes.subnet?.status, 'UNKNOWN');
    await waitUntil(
      async () => ((await vc.showSubnet(new vpc.ShowSubnetRequest(subnetId))).subnet?.status === 'ACTIVE' ? true : undefined),
      { timeoutMs: 5000, intervalMs: 25, what: 'subnet ACTIVE' },
    );

    const portRes = await vc.createPort(
      new vpc.CreatePortRequest().withBody(
        new vpc.CreatePortRequestBody().withPort(
          new vpc.CreatePortOption().withNetworkId(subnetId).withName('sdk-port').withFixedIps([new vpc.FixedIp().withIpAddress('10.10.1.20')]),
        ),
      ),
    );
    assert.equal(portRes.httpStatusCode, 201);
    const portId = portRes.port?.id ?? '';
    assert.equal(portRes.port?.status, 'DOWN');

    const attach = await ec.batchAddServerNics(
      new ecs.BatchAddServerNicsRequest(server.id).withBody(
        new ecs.BatchAddServerNicsRequestBody([new ecs.BatchAddServerNicOption().withPortId(portId)]),
      ),
    );
    const jobId = attach.jobId ?? (attach as unknown as { job_id?: string }).job_id ?? '';
    assert.match(jobId, /^[0-9a-f]{32}$/);

    const seen = new Set<string>();
    const job = await waitUntil(
      async () => {
        const j = await ec.showJob(new ecs.ShowJobRequest(jobId));
        if (j.status) seen.add(j.status);
        return j.status === 'SUCCESS' || j.status === 'FAIL' ? j : undefined;
      },
      { timeoutMs: 5000, intervalMs: 25, what: 'ECS job end' },
    );
    assert.equal(job.status, 'SUCCESS');
    assert.ok(seen.has('RUNNING') || seen.has('INIT'), `the job was observed before it ended (${[...seen].join(',')})`);
    const subJobs = job.entities?.subJobs ?? (job.entities as unknown as { sub_jobs?: Array<{ entities?: { nic_id?: string } }> }).sub_jobs;
    const nicId = (subJobs?.[0]?.entities as { nicId?: string; nic_id?: string } | undefined);
    assert.equal(nicId?.nicId ?? nicId?.nic_id, portId);

    const ifs = await ec.listServerInterfaces(new ecs.ListServerInterfacesRequest(server.id));
    const ports = (ifs.interfaceAttachments ?? []).map((a) => a.portId ?? (a as unknown as { port_id?: string }).port_id);
    assert.ok(ports.includes(portId), 'ListServerInterfaces lists the new NIC');

    const shown = await vc.showPort(new vpc.ShowPortRequest(portId));
    assert.equal(shown.port?.status, 'ACTIVE');
    assert.equal(shown.port?.deviceId ?? (shown.port as unknown as { device_id?: string }).device_id, server.id);

    const listed = await vc.listPorts(new vpc.ListPortsRequest().withFixedIps(['ip_address=10.10.1.20']).withName('sdk-port'));
    assert.deepEqual(listed.ports?.map((p) => p.id), [portId]);
  });

  it('surfaces a bad signature as 401 APIGW.0301', async () => {
    const client = sdkClients(t, 'not-the-secret').vc;
    const err = await sdkError(client.listVpcs(new vpc.ListVpcsRequest()));
    assert.equal(Number(err.httpStatusCode), 401);
    assert.equal(err.errorCode, 'APIGW.0301');
    assert.match(err.requestId ?? '', /^[0-9a-f]{32}$/);
  });

  it('surfaces an unknown server as 404 Ecs.0114', async () => {
    const err = await sdkError(ec.showServer(new ecs.ShowServerRequest('00000000-0000-4000-8000-000000000000')));
    assert.equal(Number(err.httpStatusCode), 404);
    assert.equal(err.errorCode, 'Ecs.0114');
  });

  it('surfaces a port of another VPC as a 400 with the ECS code', async () => {
    const other = await t.control.createServer({ name: 'other' });
    const mine = await t.control.createServer({ name: 'mine' });
    const state = await t.control.state();
    const otherSubnet = state.subnets.find((s) => s.vpc_id === other.metadata.vpc_id);
    assert.ok(otherSubnet);
    const port = await vc.createPort(
      new vpc.CreatePortRequest().withBody(new vpc.CreatePortRequestBody().withPort(new vpc.CreatePortOption().withNetworkId(otherSubnet.id))),
    );
    const err = await sdkError(
      ec.batchAddServerNics(
        new ecs.BatchAddServerNicsRequest(mine.id).withBody(
          new ecs.BatchAddServerNicsRequestBody([new ecs.BatchAddServerNicOption().withPortId(port.port?.id ?? '')]),
        ),
      ),
    );
    assert.equal(Number(err.httpStatusCode), 400);
    assert.equal(err.errorCode, 'Ecs.0064');
  });

  it('answers a VPC v1 error with its status (the Node SDK drops the VPC v1 code, as documented)', async () => {
    const err = await sdkError(vc.showVpc(new vpc.ShowVpcRequest('9a3f4e3c-1111-4111-8111-111111111111')));
    assert.equal(Number(err.httpStatusCode), 404);
  });

  it('counted every SDK call by operation name', async () => {
    const { calls } = await t.control.state();
    for (const op of ['CreateVpc', 'ShowVpc', 'CreateSubnet', 'ShowSubnet', 'CreatePort', 'BatchAddServerNics', 'ShowJob', 'ListServerInterfaces', 'ShowPort', 'ListPorts'] as const) {
      assert.ok(calls[op] >= 1, `${op} counted`);
    }
  });
});

describe('official SDK: error cases and a FAIL job', () => {
  // A manual clock from now: the SDK signs with the real time, and jobs end only when the test advances it.
  const clock = manualClock(Date.now());
  const JOB_MS = 10_000;
  let t: TestEmulator;
  let vc: InstanceType<typeof vpc.VpcClient>;
  let ec: InstanceType<typeof ecs.EcsClient>;
  let v3: InstanceType<typeof vpcV3.VpcClient>;

  before(async () => {
    t = await startTestEmulator({ clock, timings: { job_ms: { min: JOB_MS, max: JOB_MS } } });
    ({ vc, ec, v3 } = sdkClients(t));
  });
  after(() => t.stop());
  beforeEach(() => t.control.reset());

  /** A server (optionally in a VPC or a status) and a DOWN port in its subnet, made with the SDK. */
  async function serverAndPort(opts: { vpc_id?: string; status?: string; max_nics?: number } = {}): Promise<{ serverId: string; vpcId: string; subnetId: string; portId: string }> {
    const server = await t.control.createServer(opts);
    const vpcId = server.metadata.vpc_id ?? '';
    const subnets = await vc.listSubnets(new vpc.ListSubnetsRequest().withVpcId(vpcId));
    const subnetId = subnets.subnets?.[0]?.id ?? '';
    const port = await vc.createPort(new vpc.CreatePortRequest().withBody(new vpc.CreatePortRequestBody().withPort(new vpc.CreatePortOption().withNetworkId(subnetId))));
    return { serverId: server.id, vpcId, subnetId, portId: port.port?.id ?? '' };
  }

  const attach = (serverId: string, ...portIds: string[]) =>
    ec.batchAddServerNics(
      new ecs.BatchAddServerNicsRequest(serverId).withBody(
        new ecs.BatchAddServerNicsRequestBody(portIds.map((id) => new ecs.BatchAddServerNicOption().withPortId(id))),
      ),
    );
  const jobIdOf = (r: { jobId?: string }): string => r.jobId ?? (r as { job_id?: string }).job_id ?? '';

  it('429 APIGW.0308 when throttled (throttle_rps), with the gateway code', async () => {
    await t.control.configure({ faults: { throttle_rps: 1 } });
    await vc.listVpcs(new vpc.ListVpcsRequest());
    const err = await sdkError(vc.listVpcs(new vpc.ListVpcsRequest()));
    assert.equal(Number(err.httpStatusCode), 429);
    assert.equal(err.errorCode, 'APIGW.0308');
    assert.match(err.errorMsg ?? '', /throttling threshold/);
  });

  it('501 Ecs.0603 while another job of the server is running', async () => {
    const { serverId, subnetId, portId } = await serverAndPort();
    await attach(serverId, portId);
    const second = await vc.createPort(new vpc.CreatePortRequest().withBody(new vpc.CreatePortRequestBody().withPort(new vpc.CreatePortOption().withNetworkId(subnetId))));
    const err = await sdkError(attach(serverId, second.port?.id ?? ''));
    assert.equal(Number(err.httpStatusCode), 501);
    assert.equal(err.errorCode, 'Ecs.0603');
  });

  it('400 Ecs.0050 over the NIC limit, 400 Ecs.0100 for a server state that does not allow it', async () => {
    const full = await serverAndPort({ max_nics: 1 });
    const err = await sdkError(attach(full.serverId, full.portId));
    assert.equal(Number(err.httpStatusCode), 400);
    assert.equal(err.errorCode, 'Ecs.0050');
    const building = await serverAndPort({ status: 'BUILD' });
    const state = await sdkError(attach(building.serverId, building.portId));
    assert.equal(Number(state.httpStatusCode), 400);
    assert.equal(state.errorCode, 'Ecs.0100');
  });

  it('400 Ecs.0919 for a port that is not DOWN (attached to another server)', async () => {
    const a = await serverAndPort();
    const job = jobIdOf(await attach(a.serverId, a.portId));
    clock.advance(JOB_MS);
    assert.equal((await ec.showJob(new ecs.ShowJobRequest(job))).status, 'SUCCESS');
    assert.equal((await vc.showPort(new vpc.ShowPortRequest(a.portId))).port?.status, 'ACTIVE');
    const b = await t.control.createServer({ vpc_id: a.vpcId });
    const err = await sdkError(attach(b.id, a.portId));
    assert.equal(Number(err.httpStatusCode), 400);
    assert.equal(err.errorCode, 'Ecs.0919');
  });

  it('409 for a fixed IP in use (VPC.0701): the SDK gives the status but drops the VPC v1 code (pitfall 6)', async () => {
    const { subnetId } = await serverAndPort();
    const withIp = () =>
      vc.createPort(
        new vpc.CreatePortRequest().withBody(
          new vpc.CreatePortRequestBody().withPort(new vpc.CreatePortOption().withNetworkId(subnetId).withFixedIps([new vpc.FixedIp().withIpAddress('192.168.0.50')])),
        ),
      );
    await withIp();
    const err = await sdkError(withIp());
    assert.equal(Number(err.httpStatusCode), 409);
    assert.equal(err.errorCode, undefined, 'the Node SDK reads error.code / error_code only');
    assert.equal((await t.control.state()).calls.CreatePort, 3, 'the refused create reached the service once (no SDK retry)');
  });

  it('a FAIL job (job_fail_rate 1, seeded): status FAIL with error_code and fail_reason, on the job and its sub-job', async () => {
    const { serverId, portId } = await serverAndPort();
    await t.control.configure({ seed: 3, faults: { job_fail_rate: 1 } });
    const job = jobIdOf(await attach(serverId, portId));
    clock.advance(JOB_MS);
    const j = await ec.showJob(new ecs.ShowJobRequest(job));
    assert.equal(j.httpStatusCode, 200);
    assert.equal(j.status, 'FAIL');
    // The SDK hands back the parsed JSON (wire keys), not model instances with camelCase getters.
    const wire = j as unknown as { error_code?: string; fail_reason?: string; entities?: { sub_jobs?: Array<{ status?: string; error_code?: string }> } };
    assert.equal(j.errorCode ?? wire.error_code, 'Ecs.0217');
    assert.match(j.failReason ?? wire.fail_reason ?? '', /job_fail_rate/);
    const sub = wire.entities?.sub_jobs?.[0];
    assert.equal(sub?.status, 'FAIL');
    assert.equal(sub?.error_code, 'Ecs.0217');
    assert.equal((await vc.showPort(new vpc.ShowPortRequest(portId))).port?.status, 'DOWN', 'nothing changed');
  });

  it('ListVpcs v3 through the v3 VpcClient: name filter, PENDING/ACTIVE, page_info', async () => {
    await t.control.configure({ timings: { vpc_ready_ms: 1000 } });
    for (const name of ['v3-a', 'v3-b', 'v3-c']) {
      await vc.createVpc(new vpc.CreateVpcRequest().withBody(new vpc.CreateVpcRequestBody().withVpc(new vpc.CreateVpcOption().withName(name))));
    }
    const byName = await v3.listVpcs(new vpcV3.ListVpcsRequest().withName(['v3-b']));
    assert.equal(byName.httpStatusCode, 200);
    assert.deepEqual(byName.vpcs?.map((v) => v.name), ['v3-b']);
    assert.equal(byName.vpcs?.[0]?.status, 'PENDING');
    clock.advance(1000);
    const page = await v3.listVpcs(new vpcV3.ListVpcsRequest().withLimit(2));
    assert.deepEqual(page.vpcs?.map((v) => v.status), ['ACTIVE', 'ACTIVE']);
    const info = page.pageInfo ?? (page as unknown as { page_info?: { next_marker?: string } }).page_info;
    const next = (info as { nextMarker?: string; next_marker?: string } | undefined);
    assert.equal(next?.nextMarker ?? next?.next_marker, page.vpcs?.[1]?.id);
  });
});
