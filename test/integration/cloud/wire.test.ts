/**
 * The client against local servers of the test's own (one for ECS, one for VPC): the exact wire format of
 * every operation, with the signature recomputed from what was received, and the error paths.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createCloudClient, type ClosableCloudClient } from '../../../src/cloud/create-client.js';
import type { CallMeta, CloudClientOptions, CloudCredentials } from '../../../src/cloud/client.js';
import { canonicalRequest, formatSdkDate, parseAuthorization, parseQuery, sha256Hex, signature } from '../../../src/cloud/signer.js';
import type { OperationName } from '../../../src/cloud/types.js';
import { manualClock } from '../../../src/lib/clock.js';
import { createLogger, silentLogger } from '../../../src/lib/logger.js';
import * as fx from '../../fixtures/cloud-responses.js';
import { cloudError } from '../../helpers/cloud.js';
import { startWireServer, type Recorded, type WireServer } from './wire-server.js';

const AK = 'AKWIRETEST0000000001';
const SK = 'SKwireTestSecretKey-do-not-log-0000000001';
const P = fx.PROJECT_ID;
const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));

let ecs: WireServer;
let vpc: WireServer;
const clients: ClosableCloudClient[] = [];

before(async () => {
  ecs = await startWireServer('ecs');
  vpc = await startWireServer('vpc');
});
after(async () => {
  for (const c of clients) c.close();
  await ecs.close();
  await vpc.close();
});

function client(over: Partial<CloudClientOptions> = {}, deps: Partial<Parameters<typeof createCloudClient>[1]> = {}): ClosableCloudClient {
  const c = createCloudClient(
    {
      ecsEndpoint: ecs.url,
      vpcEndpoint: `${vpc.url}/`,
      projectId: P,
      credentials: { kind: 'aksk', accessKey: AK, secretKey: SK },
      timeoutMs: 2_000,
      getRetries: 2,
      ...over,
    },
    { logger: silentLogger(), clock, ...deps },
  );
  clients.push(c);
  return c;
}

/** Recompute the SDK-HMAC-SHA256 signature from the request as received, the way a gateway does. */
function assertSignedAsNodeSdk(r: Recorded, server: WireServer, secretKey = SK): void {
  const auth = parseAuthorization(r.headers.authorization);
  assert.ok(auth, `Authorization header missing or garbled: ${String(r.headers.authorization)}`);
  assert.equal(auth.accessKey, AK);
  assert.deepEqual(auth.signedHeaders, ['content-type', 'host', 'x-project-id', 'x-sdk-date']);
  assert.equal(r.headers.host, `127.0.0.1:${server.port}`);
  assert.equal(r.headers['x-sdk-date'], formatSdkDate(clock.now()));
  const cr = canonicalRequest({
    method: r.method,
    pathname: r.path,
    query: parseQuery(r.rawQuery),
    signedHeaders: auth.signedHeaders,
    headerValue: (n) => String(r.headers[n] ?? ''),
    payloadHash: sha256Hex(r.body),
  });
  assert.equal(auth.signature, signature(secretKey, String(r.headers['x-sdk-date']), cr), 'signature recomputed from the received request');
}

interface OpCase {
  op: OperationName;
  server: () => WireServer;
  invoke: (c: ClosableCloudClient) => Promise<unknown>;
  method: string;
  url: string;
  body: string;
  answer: { status: number; body?: unknown };
  result: unknown;
}

/** A VPC as ListVpcs v3 returns it (§3.3: v3 field set, status PENDING/ACTIVE). */
const vpcV3 = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: fx.VPC_ID,
  name: 'vpc a*b',
  description: 'test',
  cidr: '192.168.0.0/16',
  extend_cidrs: [],
  status: 'ACTIVE',
  project_id: P,
  enterprise_project_id: '0',
  created_at: '2024-01-15T08:30:00Z',
  updated_at: '2024-01-15T08:30:02Z',
  cloud_resources: [{ resource_type: 'virsubnet', resource_count: 1 }],
  tags: [{ key: 'env', value: 'test' }],
  ...over,
});
const v3Page = (vpcs: Array<Record<string, unknown>>, nextMarker?: string): Record<string, unknown> => ({
  request_id: 'e5c3b1d0a0f94bb6a0c7c1d2e3f4a5b6',
  vpcs,
  page_info: { ...(vpcs[0] ? { previous_marker: vpcs[0].id } : {}), current_count: vpcs.length, ...(nextMarker ? { next_marker: nextMarker } : {}) },
});

const nicBody =
  '{"nics":[{"subnet_id":"d32019d3-bc6e-4319-9c1d-6722fc136a22","security_groups":[{"id":"f0ac4394-7e4a-4409-9701-ba8be283dbc3"}],"ip_address":"192.168.0.7"}]}';

const cases: OpCase[] = [
  {
    op: 'CreateVpc',
    server: () => vpc,
    invoke: (c) => c.createVpc({ name: 'vpc-test', cidr: '192.168.0.0/16', description: 'test' }),
    method: 'POST',
    url: `/v1/${P}/vpcs`,
    body: '{"vpc":{"name":"vpc-test","cidr":"192.168.0.0/16","description":"test"}}',
    answer: { status: 200, body: { vpc: fx.vpc({ status: 'CREATING' }) } },
    result: fx.vpc({ status: 'CREATING' }),
  },
  {
    op: 'ShowVpc',
    server: () => vpc,
    invoke: (c) => c.showVpc(fx.VPC_ID),
    method: 'GET',
    url: `/v1/${P}/vpcs/${fx.VPC_ID}`,
    body: '',
    answer: { status: 200, body: { vpc: fx.vpc() } },
    result: fx.vpc(),
  },
  {
    op: 'ListVpcs',
    server: () => vpc,
    invoke: (c) => c.listVpcs({ limit: 10, marker: fx.VPC_ID, enterprise_project_id: 'all_granted_eps' }),
    method: 'GET',
    url: `/v1/${P}/vpcs?limit=10&marker=${fx.VPC_ID}&enterprise_project_id=all_granted_eps`,
    body: '',
    answer: { status: 200, body: { vpcs: [fx.vpc()] } },
    result: [fx.vpc()],
  },
  {
    op: 'ListVpcsV3',
    server: () => vpc,
    invoke: (c) =>
      c.listVpcsV3({ name: ['vpc a*b', 'vpc-2'], cidr: ['192.168.0.0/16'], enterprise_project_id: 'all_granted_eps', limit: 50, marker: fx.VPC_ID }),
    method: 'GET',
    url: `/v3/${P}/vpc/vpcs?name=vpc%20a%2Ab&name=vpc-2&cidr=192.168.0.0%2F16&enterprise_project_id=all_granted_eps&limit=50&marker=${fx.VPC_ID}`,
    body: '',
    answer: { status: 200, body: v3Page([vpcV3(), vpcV3({ id: 'v2', name: 'vpc-2', status: 'PENDING' })], 'v2') },
    result: v3Page([vpcV3(), vpcV3({ id: 'v2', name: 'vpc-2', status: 'PENDING' })], 'v2'),
  },
  {
    op: 'DeleteVpc',
    server: () => vpc,
    invoke: (c) => c.deleteVpc(fx.VPC_ID),
    method: 'DELETE',
    url: `/v1/${P}/vpcs/${fx.VPC_ID}`,
    body: '',
    answer: { status: 204 },
    result: undefined,
  },
  {
    op: 'CreateSubnet',
    server: () => vpc,
    invoke: (c) =>
      c.createSubnet({ name: 'subnet-test', cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', vpc_id: fx.VPC_ID, dnsList: ['100.125.1.250'] }),
    method: 'POST',
    url: `/v1/${P}/subnets`,
    body: `{"subnet":{"name":"subnet-test","cidr":"192.168.0.0/24","gateway_ip":"192.168.0.1","vpc_id":"${fx.VPC_ID}","dnsList":["100.125.1.250"]}}`,
    answer: { status: 200, body: { subnet: fx.subnet({ status: 'UNKNOWN' }) } },
    result: fx.subnet({ status: 'UNKNOWN' }),
  },
  {
    op: 'ShowSubnet',
    server: () => vpc,
    invoke: (c) => c.showSubnet(fx.SUBNET_ID),
    method: 'GET',
    url: `/v1/${P}/subnets/${fx.SUBNET_ID}`,
    body: '',
    answer: { status: 200, body: { subnet: fx.subnet() } },
    result: fx.subnet(),
  },
  {
    op: 'ListSubnets',
    server: () => vpc,
    invoke: (c) => c.listSubnets({ vpc_id: fx.VPC_ID, limit: 5 }),
    method: 'GET',
    url: `/v1/${P}/subnets?vpc_id=${fx.VPC_ID}&limit=5`,
    body: '',
    answer: { status: 200, body: { subnets: [fx.subnet()] } },
    result: [fx.subnet()],
  },
  {
    op: 'DeleteSubnet',
    server: () => vpc,
    invoke: (c) => c.deleteSubnet(fx.VPC_ID, fx.SUBNET_ID),
    method: 'DELETE',
    url: `/v1/${P}/vpcs/${fx.VPC_ID}/subnets/${fx.SUBNET_ID}`,
    body: '',
    answer: { status: 204 },
    result: undefined,
  },
  {
    op: 'CreatePort',
    server: () => vpc,
    invoke: (c) =>
      c.createPort({ network_id: fx.SUBNET_ID, name: 'nic-att-1', fixed_ips: [{ subnet_id: fx.NEUTRON_SUBNET_ID, ip_address: '192.168.0.7' }], security_groups: [fx.SG_ID] }),
    method: 'POST',
    url: `/v1/${P}/ports`,
    body: `{"port":{"network_id":"${fx.SUBNET_ID}","name":"nic-att-1","fixed_ips":[{"subnet_id":"${fx.NEUTRON_SUBNET_ID}","ip_address":"192.168.0.7"}],"security_groups":["${fx.SG_ID}"]}}`,
    answer: { status: 201, body: { port: fx.port() } },
    result: fx.port(),
  },
  {
    op: 'ShowPort',
    server: () => vpc,
    invoke: (c) => c.showPort(fx.PORT_ID),
    method: 'GET',
    url: `/v1/${P}/ports/${fx.PORT_ID}`,
    body: '',
    answer: { status: 200, body: { port: fx.port() } },
    result: fx.port(),
  },
  {
    op: 'ListPorts',
    server: () => vpc,
    invoke: (c) =>
      c.listPorts({
        name: "my port*(test)!'",
        id: ['id-2', 'id-1'],
        network_id: fx.SUBNET_ID,
        admin_state_up: true,
        status: 'DOWN',
        security_groups: ['sg-b', 'sg-a'],
        fixed_ips: ['subnet_id=d32019d3', 'ip_address=192.168.0.7'],
        limit: 10,
      }),
    method: 'GET',
    url:
      `/v1/${P}/ports?name=my%20port%2A%28test%29%21%27&id=id-2&id=id-1&network_id=${fx.SUBNET_ID}&admin_state_up=true&status=DOWN` +
      '&security_groups=sg-b&security_groups=sg-a&fixed_ips=subnet_id%3Dd32019d3&fixed_ips=ip_address%3D192.168.0.7&limit=10',
    body: '',
    answer: { status: 200, body: { ports: [fx.port(), fx.port({ id: 'p2', status: 'ACTIVE', device_id: fx.SERVER_ID })] } },
    result: [fx.port(), fx.port({ id: 'p2', status: 'ACTIVE', device_id: fx.SERVER_ID })],
  },
  {
    op: 'DeletePort',
    server: () => vpc,
    invoke: (c) => c.deletePort(fx.PORT_ID),
    method: 'DELETE',
    url: `/v1/${P}/ports/${fx.PORT_ID}`,
    body: '',
    answer: { status: 204 },
    result: undefined,
  },
  {
    op: 'BatchAddServerNics',
    server: () => ecs,
    invoke: (c) => c.batchAddServerNics(fx.SERVER_ID, [{ subnet_id: fx.SUBNET_ID, security_groups: [{ id: fx.SG_ID }], ip_address: '192.168.0.7' }]),
    method: 'POST',
    url: `/v1/${P}/cloudservers/${fx.SERVER_ID}/nics`,
    body: nicBody,
    answer: { status: 200, body: { job_id: fx.JOB_ID } },
    result: { job_id: fx.JOB_ID },
  },
  {
    op: 'BatchDeleteServerNics',
    server: () => ecs,
    invoke: (c) => c.batchDeleteServerNics(fx.SERVER_ID, [fx.PORT_ID, 'second-port']),
    method: 'POST',
    url: `/v1/${P}/cloudservers/${fx.SERVER_ID}/nics/delete`,
    body: `{"nics":[{"id":"${fx.PORT_ID}"},{"id":"second-port"}]}`,
    answer: { status: 200, body: { job_id: fx.JOB_ID } },
    result: { job_id: fx.JOB_ID },
  },
  {
    op: 'ShowJob',
    server: () => ecs,
    invoke: (c) => c.showJob(fx.JOB_ID),
    method: 'GET',
    url: `/v1/${P}/jobs/${fx.JOB_ID}`,
    body: '',
    answer: { status: 200, body: fx.job() },
    result: fx.job(),
  },
  {
    op: 'ShowServer',
    server: () => ecs,
    invoke: (c) => c.showServer(fx.SERVER_ID),
    method: 'GET',
    url: `/v1/${P}/cloudservers/${fx.SERVER_ID}`,
    body: '',
    answer: { status: 200, body: { server: fx.server() } },
    result: fx.server(),
  },
  {
    op: 'ListServerInterfaces',
    server: () => ecs,
    invoke: (c) => c.listServerInterfaces(fx.SERVER_ID),
    method: 'GET',
    url: `/v1/${P}/cloudservers/${fx.SERVER_ID}/os-interface`,
    body: '',
    answer: { status: 200, body: fx.serverInterfaces() },
    result: fx.serverInterfaces(),
  },
  {
    op: 'ShowServerAttachableNicNum',
    server: () => ecs,
    invoke: (c) => c.showServerAttachableNicNum(fx.SERVER_ID),
    method: 'GET',
    url: `/v1/${P}/cloudservers/${fx.SERVER_ID}/os-interface_extension`,
    body: '',
    answer: { status: 200, body: fx.attachableNicNum() },
    result: fx.attachableNicNum(),
  },
];

describe('wire format of every operation', () => {
  it('covers all 19 operations of the §8 table (rows 1–18 and 3b)', () => {
    assert.equal(new Set(cases.map((c) => c.op)).size, 19);
  });

  for (const tc of cases) {
    it(`${tc.op}: ${tc.method} ${tc.url.replace(P, '{p}').slice(0, 70)}`, async () => {
      const metas: CallMeta[] = [];
      const before: OperationName[] = [];
      const c = client({}, { onCall: (m) => metas.push(m), beforeCall: async (op) => void before.push(op) });
      const target = tc.server();
      const other = target === ecs ? vpc : ecs;
      target.handle(() => tc.answer);
      other.handle(() => ({ status: 500, body: 'wrong service' }));

      const result = await tc.invoke(c);

      assert.deepEqual(result, tc.result);
      assert.equal(other.requests.length, 0, 'nothing went to the other service');
      assert.equal(target.requests.length, 1, 'exactly one request');
      const r = target.requests[0]!;
      assert.equal(r.method, tc.method);
      assert.equal(r.url, tc.url);
      assert.equal(r.body.toString('utf8'), tc.body, 'body bytes');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers.accept, 'application/json');
      assert.equal(r.headers['x-project-id'], P);
      assert.equal(r.headers['x-auth-token'], undefined);
      if (tc.body !== '') assert.equal(r.headers['content-length'], String(Buffer.byteLength(tc.body)));
      assertSignedAsNodeSdk(r, target);
      assert.deepEqual(before, [tc.op]);
      assert.equal(metas.length, 1);
      assert.equal(metas[0]!.operation, tc.op);
      assert.equal(metas[0]!.status, tc.answer.status);
      assert.equal(metas[0]!.outcome, 'ok');
      assert.match(metas[0]!.requestId ?? '', /-req-\d+$/);
    });
  }

  it('encodes ids in the path so an id cannot change the path or add a query', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: { port: fx.port() } }));
    await c.showPort('a/../b c?x=ü');
    assert.equal(vpc.requests[0]!.url, `/v1/${P}/ports/a%2F..%2Fb%20c%3Fx%3D%C3%BC`);
    assertSignedAsNodeSdk(vpc.requests[0]!, vpc);
  });

  it('ListVpcs v3 follows page_info.next_marker until a page has none', async () => {
    const c = client();
    const pages = [v3Page([vpcV3({ id: 'v1' }), vpcV3({ id: 'v2' })], 'v2'), v3Page([vpcV3({ id: 'v3' })], 'v3'), v3Page([])];
    vpc.handle((_r, i) => ({ status: 200, body: pages[i] }));
    const all = await c.listAllVpcsV3({ name: ['vpc a*b'], limit: 2 });
    assert.deepEqual(all.map((v) => v.id), ['v1', 'v2', 'v3']);
    assert.deepEqual(
      vpc.requests.map((r) => r.url),
      [`/v3/${P}/vpc/vpcs?name=vpc%20a%2Ab&limit=2`, `/v3/${P}/vpc/vpcs?name=vpc%20a%2Ab&limit=2&marker=v2`, `/v3/${P}/vpc/vpcs?name=vpc%20a%2Ab&limit=2&marker=v3`],
    );
    for (const r of vpc.requests) assertSignedAsNodeSdk(r, vpc);
  });

  it('ListVpcs v3 stops on a repeated next_marker (a cloud ignoring the marker) without duplicates', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: v3Page([vpcV3({ id: 'v1' })], 'v1') }));
    const all = await c.listAllVpcsV3();
    assert.deepEqual(all.map((v) => v.id), ['v1']);
    assert.equal(vpc.requests.length, 2);
    assert.equal(vpc.requests[0]!.url, `/v3/${P}/vpc/vpcs?limit=200`);
  });

  it('ListVpcs v3: the v1 status vocabulary or a missing page_info is a malformed answer', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: v3Page([vpcV3({ status: 'OK' })]) }));
    const err = await cloudError(c.listVpcsV3());
    assert.equal(err.code, 'CLOUD_MALFORMED_RESPONSE');
    assert.match(err.message, /\/vpcs\/0\/status/);
    vpc.handle(() => ({ status: 200, body: { request_id: 'x', vpcs: [] } }));
    assert.match((await cloudError(c.listVpcsV3())).message, /\/page_info/);
  });

  it('ListVpcs v3 errors in the v3 shape carry the cloud code', async () => {
    const c = client({ getRetries: 0 });
    vpc.handle(() => ({ status: 400, body: { request_id: 'r3', error_code: 'VPC.0101', error_msg: 'invalid marker' } }));
    const err = await cloudError(c.listVpcsV3({ marker: 'nope' }));
    assert.equal(err.cloudCode, 'VPC.0101');
    assert.equal(err.cloudHttpStatus, 400);
    assert.equal(err.retryable, false);
  });

  it('sends the optional request fields of the spec as given (CreateVpc, CreateSubnet, ListPorts)', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: { vpc: fx.vpc() } }));
    await c.createVpc({ name: 'v', block_service_endpoint_states: 'on', enable_network_address_usage_metrics: true });
    assert.equal(vpc.requests[0]!.body.toString('utf8'), '{"vpc":{"name":"v","block_service_endpoint_states":"on","enable_network_address_usage_metrics":true}}');
    vpc.handle(() => ({ status: 200, body: { subnet: fx.subnet() } }));
    await c.createSubnet({ name: 's', cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', vpc_id: fx.VPC_ID, enable_network_address_usage_metrics: false });
    assert.match(vpc.requests[0]!.body.toString('utf8'), /,"enable_network_address_usage_metrics":false\}\}$/);
    vpc.handle(() => ({ status: 200, body: { ports: [] } }));
    await c.listPorts({ device_id: fx.SERVER_ID, enable_efi: false });
    assert.equal(vpc.requests[0]!.url, `/v1/${P}/ports?device_id=${fx.SERVER_ID}&enable_efi=false`);
  });

  it('fills documented defaults for descriptive fields the cloud omitted', async () => {
    const c = client();
    const { description: _d, routes: _r, created_at: _c, ...partial } = fx.vpc();
    vpc.handle(() => ({ status: 200, body: { vpc: partial } }));
    const got = await c.showVpc(fx.VPC_ID);
    assert.deepEqual(got.routes, []);
    assert.equal(got.description, '');
  });
});

describe('credentials', () => {
  it('token auth sends X-Auth-Token and no signature', async () => {
    const c = client({ credentials: { kind: 'token', token: 'MIIT-token-value' } });
    ecs.handle(() => ({ status: 200, body: fx.job() }));
    await c.showJob(fx.JOB_ID);
    const r = ecs.requests[0]!;
    assert.equal(r.headers['x-auth-token'], 'MIIT-token-value');
    assert.equal(r.headers.authorization, undefined);
    assert.equal(r.headers['x-sdk-date'], undefined);
    assert.equal(r.headers['x-project-id'], P);
  });

  it('temporary AK/SK sends and signs X-Security-Token', async () => {
    const creds: CloudCredentials = { kind: 'aksk', accessKey: AK, secretKey: SK, securityToken: 'sts-security-token' };
    const c = client({ credentials: creds });
    ecs.handle(() => ({ status: 200, body: { job_id: fx.JOB_ID } }));
    await c.batchDeleteServerNics(fx.SERVER_ID, [fx.PORT_ID]);
    const r = ecs.requests[0]!;
    assert.equal(r.headers['x-security-token'], 'sts-security-token');
    const auth = parseAuthorization(r.headers.authorization);
    assert.deepEqual(auth?.signedHeaders, ['content-type', 'host', 'x-project-id', 'x-sdk-date', 'x-security-token']);
    const cr = canonicalRequest({
      method: r.method,
      pathname: r.path,
      query: [],
      signedHeaders: auth!.signedHeaders,
      headerValue: (n) => String(r.headers[n] ?? ''),
      payloadHash: sha256Hex(r.body),
    });
    assert.equal(auth!.signature, signature(SK, String(r.headers['x-sdk-date']), cr));
  });
});

describe('answers that are not success', () => {
  it('a malformed 2xx body is a CLOUD_MALFORMED_RESPONSE naming the bad field', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: { vpc: { ...fx.vpc(), status: 'PENDING' } } }));
    const err = await cloudError(c.showVpc(fx.VPC_ID));
    assert.equal(err.code, 'CLOUD_MALFORMED_RESPONSE');
    assert.equal(err.kind, 'malformed');
    assert.match(err.message, /\/vpc\/status/);
    assert.match(err.requestId ?? '', /^vpc-req-/);
    assert.equal(vpc.requests.length, 1, 'a malformed answer is not retried');
  });

  it('a non-JSON 2xx body and a missing root key are malformed too', async () => {
    const c = client();
    ecs.handle(() => ({ status: 200, body: '<html>ok</html>' }));
    assert.equal((await cloudError(c.showJob(fx.JOB_ID))).code, 'CLOUD_MALFORMED_RESPONSE');
    ecs.handle(() => ({ status: 200, body: { servers: fx.server() } }));
    assert.match((await cloudError(c.showServer(fx.SERVER_ID))).message, /\/server/);
    vpc.handle(() => ({ status: 201, body: { port: { ...fx.port(), fixed_ips: 'nope' } } }));
    const err = await cloudError(c.createPort({ network_id: fx.SUBNET_ID }));
    assert.equal(err.code, 'CLOUD_MALFORMED_RESPONSE');
    assert.equal(err.outcomeUnknown, true, 'the create may have happened');
  });

  it('an unexpected success code is an error (CreatePort answering 200, DeleteVpc answering 200)', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: { port: fx.port() } }));
    const err = await cloudError(c.createPort({ network_id: fx.SUBNET_ID }));
    assert.equal(err.code, 'CLOUD_UNEXPECTED_STATUS');
    assert.equal(err.cloudHttpStatus, 200);
    assert.equal(err.outcomeUnknown, true);
    vpc.handle(() => ({ status: 200, body: {} }));
    assert.equal((await cloudError(c.deleteVpc(fx.VPC_ID))).code, 'CLOUD_UNEXPECTED_STATUS');
  });

  it('an error answer carries status, cloud code, message and the X-Request-Id header', async () => {
    const c = client();
    vpc.handle(() => ({ status: 404, body: { code: 'VPC.0003', message: 'VPC does not exist' }, headers: { 'X-Request-Id': 'abc123def456' } }));
    const err = await cloudError(c.deleteVpc(fx.VPC_ID));
    assert.equal(err.code, 'CLOUD_NOT_FOUND');
    assert.equal(err.isNotFound, true);
    assert.equal(err.cloudHttpStatus, 404);
    assert.equal(err.cloudCode, 'VPC.0003');
    assert.equal(err.requestId, 'abc123def456');
    assert.match(err.message, /VPC does not exist.*abc123def456/);
    assert.equal(vpc.requests.length, 1, 'DELETE is not retried by the client');
  });

  it('does not follow redirects (credentials stay on the configured host)', async () => {
    const c = client();
    ecs.handle(() => ({ status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' } }));
    const err = await cloudError(c.showJob(fx.JOB_ID));
    assert.equal(err.code, 'CLOUD_UNEXPECTED_STATUS');
    assert.equal(ecs.requests.length, 1);
  });
});

describe('retries', () => {
  it('retries a GET on 503 and then succeeds', async () => {
    const metas: CallMeta[] = [];
    let beforeCalls = 0;
    const c = client({}, { onCall: (m) => metas.push(m), beforeCall: async () => void (beforeCalls += 1) });
    ecs.handle((_r, i) => (i === 0 ? { status: 503, body: { error_code: 'APIGW.0613', error_msg: 'IAM unavailable' } } : { status: 200, body: fx.job() }));
    assert.deepEqual(await c.showJob(fx.JOB_ID), fx.job());
    assert.equal(ecs.requests.length, 2);
    assert.deepEqual(metas.map((m) => m.outcome), ['CLOUD_UNAVAILABLE', 'ok']);
    assert.equal(beforeCalls, 2, 'the rate limiter sees every attempt');
  });

  it('gives up on a GET after getRetries + 1 attempts', async () => {
    const c = client({ getRetries: 2 });
    ecs.handle(() => ({ status: 500, body: { error: { code: 'Ecs.9999', message: 'internal' } } }));
    const err = await cloudError(c.showServer(fx.SERVER_ID));
    assert.equal(err.code, 'CLOUD_UNAVAILABLE');
    assert.equal(ecs.requests.length, 3);
  });

  it('does not retry a GET on a terminal 4xx', async () => {
    const c = client();
    ecs.handle(() => ({ status: 400, body: { error: { code: 'Ecs.0307', message: 'port query failed' } } }));
    assert.equal((await cloudError(c.listServerInterfaces(fx.SERVER_ID))).cloudCode, 'Ecs.0307');
    assert.equal(ecs.requests.length, 1);
  });

  it('retries a throttled GET after Retry-After', async () => {
    const c = client();
    vpc.handle((_r, i) => (i === 0 ? { status: 429, body: { error_code: 'APIGW.0308', error_msg: 'over ratelimit' }, headers: { 'Retry-After': '0' } } : { status: 200, body: { vpcs: [] } }));
    assert.deepEqual(await c.listVpcs(), []);
    assert.equal(vpc.requests.length, 2);
  });

  it('hands a long Retry-After back to the caller instead of sleeping on it', async () => {
    const c = client();
    vpc.handle(() => ({ status: 429, body: { error_code: 'APIGW.0308', error_msg: 'over ratelimit' }, headers: { 'Retry-After': '60' } }));
    const err = await cloudError(c.listVpcs());
    assert.equal(err.code, 'CLOUD_THROTTLED');
    assert.equal(err.retryAfterMs, 60_000);
    assert.equal(vpc.requests.length, 1);
  });

  it('never retries a POST, even on 503 or 429', async () => {
    const c = client();
    vpc.handle(() => ({ status: 503, body: { code: 'VPC.0105', message: 'backend error' } }));
    const err = await cloudError(c.createVpc({ name: 'x' }));
    assert.equal(err.code, 'CLOUD_UNAVAILABLE');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, true, 'a 5xx to a create may come after the backend made it: look it up first');
    assert.equal(vpc.requests.length, 1);
    ecs.handle(() => ({ status: 429, body: { error_code: 'APIGW.0308', error_msg: 'x' }, headers: { 'Retry-After': '0' } }));
    await cloudError(c.batchAddServerNics(fx.SERVER_ID, [{ port_id: fx.PORT_ID }]));
    assert.equal(ecs.requests.length, 1);
  });
});

describe('timeouts and network errors', () => {
  it('a POST that gets no answer times out as CLOUD_TIMEOUT with outcome unknown', async () => {
    const c = client({ timeoutMs: 150 });
    ecs.handle(() => 'hang');
    const started = Date.now();
    const err = await cloudError(c.batchAddServerNics(fx.SERVER_ID, [{ port_id: fx.PORT_ID }]));
    assert.equal(err.code, 'CLOUD_TIMEOUT');
    assert.equal(err.kind, 'timeout');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, true);
    assert.ok(Date.now() - started < 1_500, 'the timeout fired near its setting');
    assert.equal(ecs.requests.length, 1);
  });

  it('a GET that gets no answer times out with a known outcome and is retried', async () => {
    const c = client({ timeoutMs: 100, getRetries: 1 });
    ecs.handle(() => 'hang');
    const err = await cloudError(c.showJob(fx.JOB_ID));
    assert.equal(err.code, 'CLOUD_TIMEOUT');
    assert.equal(err.outcomeUnknown, false);
    assert.equal(ecs.requests.length, 2);
  });

  it('a refused connection is CLOUD_NETWORK; a POST that never left has a known outcome', async () => {
    const dead = await startWireServer('dead');
    const deadUrl = dead.url;
    await dead.close();
    const c = client({ vpcEndpoint: deadUrl, getRetries: 0 });
    const err = await cloudError(c.createPort({ network_id: fx.SUBNET_ID }));
    assert.equal(err.code, 'CLOUD_NETWORK');
    assert.equal(err.kind, 'network');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, false);
    assert.match(err.message, /ECONNREFUSED/);
  });

  it("the caller's AbortSignal stops a call as CLOUD_ABORTED", async () => {
    const c = client();
    ecs.handle(() => 'hang');
    const ac = new AbortController();
    const p = c.showServer(fx.SERVER_ID, { signal: ac.signal });
    ac.abort();
    const err = await cloudError(p);
    assert.equal(err.code, 'CLOUD_ABORTED');
  });
});

describe('marker pagination', () => {
  const page = (ids: string[]) => ({ status: 200, body: { ports: ids.map((id) => fx.port({ id })) } });

  it('follows marker = last id across 3 pages until a short page', async () => {
    const c = client();
    vpc.handle((r) => {
      const marker = new URLSearchParams(r.rawQuery).get('marker');
      if (marker === null) return page(['a', 'b']);
      if (marker === 'b') return page(['c', 'd']);
      if (marker === 'd') return page(['e']);
      return { status: 400, body: { code: 'VPC.2500', message: `bad marker ${marker}` } };
    });
    const all = await c.listAllPorts({ network_id: fx.SUBNET_ID, limit: 2 });
    assert.deepEqual(all.map((p) => p.id), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(
      vpc.requests.map((r) => r.rawQuery),
      [`network_id=${fx.SUBNET_ID}&limit=2`, `network_id=${fx.SUBNET_ID}&limit=2&marker=b`, `network_id=${fx.SUBNET_ID}&limit=2&marker=d`],
    );
    for (const r of vpc.requests) assertSignedAsNodeSdk(r, vpc);
  });

  it('stops on an empty page and uses a page size of 200 by default', async () => {
    const c = client();
    const full = Array.from({ length: 200 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    vpc.handle((r) => (r.rawQuery.includes('marker=') ? { status: 200, body: { subnets: [] } } : { status: 200, body: { subnets: full.map((id) => fx.subnet({ id })) } }));
    const all = await c.listAllSubnets({ vpc_id: fx.VPC_ID });
    assert.equal(all.length, 200);
    assert.equal(vpc.requests.length, 2);
    assert.equal(vpc.requests[0]!.rawQuery, `vpc_id=${fx.VPC_ID}&limit=200`);
    assert.equal(vpc.requests[1]!.rawQuery, `vpc_id=${fx.VPC_ID}&limit=200&marker=s199`);
  });

  it('stops when the cloud ignores the marker (no endless loop, no duplicates)', async () => {
    const c = client();
    vpc.handle(() => ({ status: 200, body: { vpcs: [fx.vpc({ id: 'v1' }), fx.vpc({ id: 'v2' })] } }));
    const all = await c.listAllVpcs({ limit: 2 });
    assert.deepEqual(all.map((v) => v.id), ['v1', 'v2']);
    assert.equal(vpc.requests.length, 2);
  });
});

describe('logging', () => {
  it('writes one debug line per call with operation, status, duration and request id, and no secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
        cb();
      },
    });
    const logger = createLogger({ level: 'debug', pretty: 'false' }, sink);
    const token = 'sts-token-secret-value';
    const c = client({ credentials: { kind: 'aksk', accessKey: AK, secretKey: SK, securityToken: token }, getRetries: 0 }, { logger });
    vpc.handle(() => ({ status: 201, body: { port: fx.port() }, headers: { 'X-Request-Id': 'log-req-1' } }));
    await c.createPort({ network_id: fx.SUBNET_ID });
    ecs.handle(() => ({ status: 404, body: { error: { code: 'Ecs.0114', message: 'The ECS does not exist' } }, headers: { 'X-Request-Id': 'log-req-2' } }));
    await cloudError(c.showServer(fx.SERVER_ID));

    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(entries.length, 2, lines.join('\n'));
    assert.equal(entries[0]!.level, 20);
    assert.equal(entries[0]!.msg, 'cloud call');
    assert.equal(entries[0]!.operation, 'CreatePort');
    assert.equal(entries[0]!.method, 'POST');
    assert.equal(entries[0]!.status, 201);
    assert.equal(typeof entries[0]!.duration_ms, 'number');
    assert.equal(entries[0]!.request_id, 'log-req-1');
    assert.equal(entries[0]!.outcome, 'ok');
    assert.equal(entries[1]!.operation, 'ShowServer');
    assert.equal(entries[1]!.status, 404);
    assert.equal(entries[1]!.request_id, 'log-req-2');
    assert.equal(entries[1]!.outcome, 'CLOUD_NOT_FOUND');
    assert.equal(entries[1]!.cloud_code, 'Ecs.0114');
    const all = lines.join('\n');
    for (const secret of [SK, AK, token, 'Signature=', 'SDK-HMAC-SHA256']) assert.ok(!all.includes(secret), `log must not contain ${secret}`);
  });
});
