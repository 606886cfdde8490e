/**
 * Conformance with a client nobody here wrote: the official Huawei Cloud Node SDK (core 3.1.211, ecs, vpc)
 * runs the whole attach flow against the emulator over HTTP, with non-zero timings so every "until" waits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../../../src/lib/wait.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';

// The SDK writes ~/.huaweicloud/application_id when a client is built: keep it out of the real home.
const home = mkdtempSync(join(tmpdir(), 'hwsdk-home-'));
process.env.HOME = home;

const core = await import('@huaweicloud/huaweicloud-sdk-core');
const ecs = await import('@huaweicloud/huaweicloud-sdk-ecs');
const vpc = await import('@huaweicloud/huaweicloud-sdk-vpc');
// The SDK configures log4js to print every error response (signed headers included) to stdout: silence it.
const log4js = await import('log4js');
log4js.default.configure({ appenders: { out: { type: 'stdout' } }, categories: { default: { appenders: ['out'], level: 'off' } } });

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
    const cred = new core.BasicCredentials()
      .withAk(t.credentials.accessKey)
      .withSk(t.credentials.secretKey)
      .withProjectId(t.credentials.projectId);
    vc = vpc.VpcClient.newBuilder().withCredential(cred).withEndpoint(t.url).build();
    ec = ecs.EcsClient.newBuilder().withCredential(cred).withEndpoint(t.url).build();
  });

  after(async () => {
    await t.stop();
    rmSync(home, { recursive: true, force: true });
  });

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
    const bad = new core.BasicCredentials().withAk(t.credentials.accessKey).withSk('not-the-secret').withProjectId(t.credentials.projectId);
    const client = vpc.VpcClient.newBuilder().withCredential(bad).withEndpoint(t.url).build();
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
