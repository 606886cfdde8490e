/**
 * The emulator's API gateway: SDK-HMAC-SHA256 verification (official vectors replayed byte for byte), the
 * 15-minute skew window on the injected clock, Host with its port, unknown AK, missing auth, tokens, AK lockout,
 * project id checks, unknown paths, and X-Request-Id on every response.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../../src/lib/clock.js';
import { canonicalRequest, formatSdkDate, sha256Hex, signature } from '../../../src/cloud/signer.js';
import { signingVectors as fixture } from '../../helpers/signing-vectors.js';
import { rawRequest, signedClient, startSigned, type SignedEmulator } from './signed-fetch.js';

function assertGatewayError(r: { status: number; body: any; headers: Headers }, status: number, code: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(r.status, status);
  assert.equal(r.body.error_code, code);
  assert.equal(typeof r.body.error_msg, 'string');
  assert.equal(r.body.request_id, r.headers.get('x-request-id'));
  assert.match(r.body.request_id, /^[0-9a-f]{32}$/);
}

describe('gateway: official SDK vectors replayed on the wire', () => {
  const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
  let e: SignedEmulator;
  before(async () => {
    e = await startSigned({ clock, accessKey: fixture.access_key, secretKey: fixture.secret_key, projectId: '0123456789abcdef0123456789abcdef' });
  });
  after(() => e.t.stop());

  const expected = [
    { status: 404, code: 'Ecs.0114' }, // BatchAddServerNics for a server that does not exist: the gateway let it through
    { status: 404, code: 'Ecs.0000' }, // ShowJob of an unknown job
    { status: 200 }, // ListPorts with repeated keys and *()
    { status: 200 }, // CreateVpc
  ];
  fixture.vectors.forEach((v, i) => {
    it(`accepts vector ${i + 1} (${v.method} ${new URL(v.url).pathname.split('/').slice(3).join('/')}) signed by the official SDK`, async () => {
      const u = new URL(v.url);
      const r = await rawRequest(e.t.url, {
        method: v.method,
        path: u.pathname + u.search,
        headers: { ...v.headers, Authorization: v.authorization, ...(v.body ? { 'Content-Length': String(Buffer.byteLength(v.body)) } : {}) },
        body: v.body,
      });
      const want = expected[i];
      assert.ok(want);
      assert.equal(r.status, want.status, JSON.stringify(r.body));
      if (want.code) assert.equal(r.body.error?.code, want.code);
    });
  });

  it('rejects the same vector with one byte of the body changed', async () => {
    const v = fixture.vectors[3];
    assert.ok(v);
    const u = new URL(v.url);
    const body = v.body.replace('vpc-test', 'vpc-tesu');
    const r = await rawRequest(e.t.url, { method: v.method, path: u.pathname, headers: { ...v.headers, Authorization: v.authorization }, body });
    assert.equal(r.status, 401);
    assert.equal(r.body.error_code, 'APIGW.0301');
  });
});

describe('gateway: authentication rules', () => {
  const clock = manualClock(Date.UTC(2024, 5, 1, 12, 0, 0));
  let e: SignedEmulator;
  before(async () => {
    e = await startSigned({ clock, tokens: ['a-project-scoped-token'] });
  });
  after(() => e.t.stop());

  it('accepts a correctly signed request (Host signed with its port)', async () => {
    const r = await e.call('GET', 'vpcs');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { vpcs: [] });
    assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  });

  it('rejects a request with no Authorization with 401 APIGW.0301', async () => {
    assertGatewayError(await e.call('GET', 'vpcs', { unsigned: true }), 401, 'APIGW.0301');
  });

  it('rejects a garbled Authorization header', async () => {
    assertGatewayError(await e.call('GET', 'vpcs', { tamper: (h) => (h.Authorization = 'SDK-HMAC-SHA256 Access=x') }), 401, 'APIGW.0301');
  });

  it('rejects an unknown AK', async () => {
    const r = await e.call('GET', 'vpcs', { accessKey: 'AKUNKNOWN00000000000' });
    assertGatewayError(r, 401, 'APIGW.0301');
    assert.match(r.body.error_msg, /ak not exist/);
  });

  it('rejects a signature made with the wrong SK', async () => {
    const r = await e.call('GET', 'vpcs', { secretKey: 'wrong' });
    assertGatewayError(r, 401, 'APIGW.0301');
    assert.match(r.body.error_msg, /verify aksk signature fail/);
  });

  it('rejects a body or an X-Sdk-Date changed after signing', async () => {
    const body = await e.call('POST', 'vpcs', { body: { vpc: { name: 'a' } }, tamperBody: (b) => b.replace('"a"', '"b"') });
    assertGatewayError(body, 401, 'APIGW.0301');
    const date = await e.call('GET', 'vpcs', { tamper: (h) => (h['X-Sdk-Date'] = formatSdkDate(clock.now() - 1000)) });
    assertGatewayError(date, 401, 'APIGW.0301');
    assert.equal((await e.call('GET', 'vpcs')).body.vpcs.length, 0, 'nothing was created');
  });

  it('signs Host with its port: a signature over a Host without the port fails', async () => {
    const r = await e.call('GET', 'vpcs', {
      headers: { host: '127.0.0.1' },
      tamper: (h) => {
        delete h.host; // the transport sends the real Host, 127.0.0.1:PORT
      },
    });
    assertGatewayError(r, 401, 'APIGW.0301');
  });

  it('accepts X-Sdk-Date within 15 minutes either way and rejects beyond, on the injected clock', async () => {
    const at = (ms: number) => formatSdkDate(clock.now() + ms);
    assert.equal((await e.call('GET', 'vpcs', { sdkDate: at(-14 * 60_000) })).status, 200);
    assert.equal((await e.call('GET', 'vpcs', { sdkDate: at(14 * 60_000) })).status, 200);
    const late = await e.call('GET', 'vpcs', { sdkDate: at(-16 * 60_000) });
    assertGatewayError(late, 401, 'APIGW.0301');
    assert.match(late.body.error_msg, /15 minutes/);
    assertGatewayError(await e.call('GET', 'vpcs', { sdkDate: at(16 * 60_000) }), 401, 'APIGW.0301');
  });

  it('rejects a request whose X-Sdk-Date header is missing', async () => {
    assertGatewayError(await e.call('GET', 'vpcs', { tamper: (h) => delete h['X-Sdk-Date'] }), 401, 'APIGW.0301');
  });

  it('accepts a Go-SDK-style signature over x-sdk-date only, and an UNSIGNED-PAYLOAD content hash', async () => {
    const sdkDate = formatSdkDate(clock.now());
    const path = `/v1/${e.t.credentials.projectId}/subnets`;
    const canonical = canonicalRequest({
      method: 'GET',
      pathname: path,
      query: [['limit', '1']],
      signedHeaders: ['x-sdk-date'],
      headerValue: () => sdkDate,
      payloadHash: sha256Hex(''),
    });
    const sig = signature(e.t.credentials.secretKey, sdkDate, canonical);
    const auth = `SDK-HMAC-SHA256 Access=${e.t.credentials.accessKey}, SignedHeaders=x-sdk-date, Signature=${sig}`;
    const r = await rawRequest(e.t.url, { method: 'GET', path: `${path}?limit=1`, headers: { Host: new URL(e.t.url).host, 'X-Sdk-Date': sdkDate, Authorization: auth } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const unsigned = await e.call('POST', 'vpcs', {
      body: { vpc: { name: 'unsigned-payload' } },
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
    });
    assert.equal(unsigned.status, 200, JSON.stringify(unsigned.body));
  });

  it('accepts a configured X-Auth-Token and rejects an unknown one', async () => {
    const ok = await e.call('GET', 'vpcs', { unsigned: true, headers: { 'X-Auth-Token': 'a-project-scoped-token' } });
    assert.equal(ok.status, 200);
    assertGatewayError(await e.call('GET', 'vpcs', { unsigned: true, headers: { 'X-Auth-Token': 'forged' } }), 401, 'APIGW.0301');
  });

  it('rejects a project id other than its own in the path or in X-Project-Id, in the service shape', async () => {
    const other = 'ffffffffffffffffffffffffffffffff';
    const vpcRes = await e.call('GET', 'vpcs', { projectId: other });
    assert.equal(vpcRes.status, 400);
    assert.deepEqual(Object.keys(vpcRes.body).sort(), ['code', 'message']);
    assert.equal(vpcRes.body.code, 'VPC.0007');
    const ecsRes = await e.call('GET', 'jobs/abc', { projectId: other });
    assert.equal(ecsRes.status, 400);
    assert.equal(ecsRes.body.error.code, 'Ecs.0023');
    const header = await e.call('GET', 'vpcs', { headers: { 'X-Project-Id': other } });
    assert.equal(header.body.code, 'VPC.0007');
  });

  it('answers an unknown path or method with 404 APIGW.0101 before authentication', async () => {
    assertGatewayError(await e.call('GET', 'routers', { unsigned: true }), 404, 'APIGW.0101');
    assertGatewayError(await e.call('PUT', 'vpcs'), 404, 'APIGW.0101');
    const res = await fetch(`${e.t.url}/v2.0/ports`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  });

  it('accepts a client that signs the same way on its own (signedClient with another key pair fails)', async () => {
    const stranger = signedClient({ url: e.t.url, projectId: e.t.credentials.projectId, accessKey: 'AKOTHER', secretKey: 'x', now: () => clock.now() });
    assertGatewayError(await stranger('GET', 'ports'), 401, 'APIGW.0301');
  });
});

describe('gateway: AK lockout (optional, off by default)', () => {
  const clock = manualClock(Date.UTC(2024, 5, 1, 12, 0, 0));
  let e: SignedEmulator;
  before(async () => {
    e = await startSigned({ clock, limits: { ak_lockout_failures: 3, ak_lockout_ms: 5 * 60_000 } });
  });
  after(() => e.t.stop());

  it('a success resets the count of consecutive failures', async () => {
    for (let i = 0; i < 2; i++) assertGatewayError(await e.call('GET', 'vpcs', { secretKey: 'wrong' }), 401, 'APIGW.0301');
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
    for (let i = 0; i < 2; i++) assertGatewayError(await e.call('GET', 'vpcs', { secretKey: 'wrong' }), 401, 'APIGW.0301');
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
  });

  it('locks an AK after consecutive failures for the lockout period, then lets it in again', async () => {
    for (let i = 0; i < 3; i++) assertGatewayError(await e.call('GET', 'vpcs', { secretKey: 'wrong' }), 401, 'APIGW.0301');
    const locked = await e.call('GET', 'vpcs');
    assertGatewayError(locked, 401, 'APIGW.0301');
    assert.match(locked.body.error_msg, /forbidden/);
    clock.advance(5 * 60_000 + 1);
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
  });

});
