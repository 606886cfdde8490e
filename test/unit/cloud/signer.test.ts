import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import {
  EMPTY_BODY_SHA256,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  encodeQuery,
  formatSdkDate,
  parseAuthorization,
  parseQuery,
  parseSdkDate,
  rfc3986,
  sha256Hex,
  signRequest,
  signature,
  stringToSign,
} from '../../../src/cloud/signer.js';
import { signingVectors as fixture } from '../../helpers/signing-vectors.js';

const AK = 'AKTESTEXAMPLE0000001';
const SK = 'SKtestExampleSecretKey0000000000000000001';
const DATE = '20240115T083000Z';

describe('signer: official Node SDK vectors', () => {
  assert.equal(fixture.vectors.length, 4);
  for (const v of fixture.vectors) {
    it(`signs ${v.method} ${new URL(v.url).pathname} exactly as the Node SDK`, () => {
      const { 'X-Sdk-Date': sdkDate, ...headers } = v.headers;
      assert.ok(sdkDate);
      const out = signRequest({
        method: v.method,
        url: new URL(v.url),
        headers,
        body: v.body,
        accessKey: fixture.access_key,
        secretKey: fixture.secret_key,
        sdkDate,
      });
      assert.equal(out.Authorization, v.authorization);
      assert.equal(out['X-Sdk-Date'], sdkDate);
    });
  }

  it('adds the host header (with port) when absent, giving the same signature as an explicit one', () => {
    const v = fixture.vectors[0]!;
    const { host: _host, 'X-Sdk-Date': sdkDate, ...headers } = v.headers;
    const out = signRequest({ method: v.method, url: new URL(v.url), headers, body: v.body, accessKey: AK, secretKey: SK, sdkDate: sdkDate! });
    assert.equal(out.Authorization, v.authorization);
    const withPort = signRequest({ method: 'GET', url: new URL('http://127.0.0.1:9780/v1/p/vpcs'), headers: {}, body: '', accessKey: AK, secretKey: SK, sdkDate: DATE });
    assert.equal(withPort.host, '127.0.0.1:9780');
  });
});

describe('signer: official Go SDK vectors (x-sdk-date only, body with trailing newline)', () => {
  assert.equal(fixture.go_sdk_vectors.length, 2);
  for (const v of fixture.go_sdk_vectors) {
    it(`reproduces the Go SDK signature of ${v.method} ${v.url}`, () => {
      const url = new URL(v.url);
      const sdkDate = v.headers['X-Sdk-Date']!;
      const cr = canonicalRequest({
        method: v.method,
        pathname: url.pathname,
        query: parseQuery(url.search),
        signedHeaders: v.signed_headers.split(';'),
        headerValue: (n) => (n === 'x-sdk-date' ? sdkDate : ''),
        payloadHash: sha256Hex(Buffer.from(v.body, 'utf8')),
      });
      assert.equal(signature(v.secret_key, sdkDate, cr), v.signature);
    });
  }

  it('a body without the trailing newline gives a different signature (the exact bytes matter)', () => {
    const v = fixture.go_sdk_vectors[1]!;
    const url = new URL(v.url);
    const cr = canonicalRequest({
      method: v.method,
      pathname: url.pathname,
      query: parseQuery(url.search),
      signedHeaders: ['x-sdk-date'],
      headerValue: () => v.headers['X-Sdk-Date']!,
      payloadHash: sha256Hex(v.body.trimEnd()),
    });
    assert.notEqual(signature(v.secret_key, v.headers['X-Sdk-Date']!, cr), v.signature);
  });
});

describe('signer: canonical forms', () => {
  it('encodes a unicode path segment as UTF-8 percent escapes and appends a slash', () => {
    assert.equal(canonicalUri('/v1/ü'), '/v1/%C3%BC/');
    assert.equal(canonicalUri('/v1/%C3%BC'), '/v1/%C3%BC/');
    assert.equal(canonicalUri('/v1/a b'), '/v1/a%20b/');
  });

  it('keeps empty segments and the root', () => {
    assert.equal(canonicalUri('/v1//x'), '/v1//x/');
    assert.equal(canonicalUri('/'), '/');
    assert.equal(canonicalUri('/v1/p/vpcs/'), '/v1/p/vpcs/');
  });

  it('sorts repeated query keys by value', () => {
    assert.equal(
      canonicalQuery([
        ['fixed_ips', 'subnet_id=b'],
        ['limit', '10'],
        ['fixed_ips', 'ip_address=a'],
      ]),
      'fixed_ips=ip_address%3Da&fixed_ips=subnet_id%3Db&limit=10',
    );
  });

  it("escapes *'()! space = / in keys and values, and keeps unreserved characters", () => {
    assert.equal(rfc3986("*'()! =/"), '%2A%27%28%29%21%20%3D%2F');
    assert.equal(rfc3986('Az09-_.~'), 'Az09-_.~');
    assert.equal(canonicalQuery([['name', "my port*(test)!'"]]), 'name=my%20port%2A%28test%29%21%27');
    assert.equal(canonicalQuery([['empty', '']]), 'empty=');
    assert.equal(encodeQuery([['b', 'x y'], ['a', '1=2/3']]), 'b=x%20y&a=1%3D2%2F3');
  });

  it('parseQuery decodes %XX and + and keeps a key without "="', () => {
    assert.deepEqual(parseQuery('?a=1%3D2&b=x+y&c&d=%2A'), [
      ['a', '1=2'],
      ['b', 'x y'],
      ['c', ''],
      ['d', '*'],
    ]);
    assert.deepEqual(parseQuery(''), []);
  });

  it('hashes an empty body to the well-known SHA-256', () => {
    assert.equal(sha256Hex(''), EMPTY_BODY_SHA256);
    assert.equal(sha256Hex(new Uint8Array()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

/**
 * Own cases with complete known answers: the canonical request is written out by hand from huawei-cloud-api.md
 * §2.1, the string to sign and the HMAC are computed here with node:crypto (not with the signer's helpers), and
 * the whole Authorization header must match. Each is also signed by the official Node SDK's AKSKSigner
 * (@huaweicloud/huaweicloud-sdk-core, a devDependency), which must give the same header.
 */
describe('signer: own cases, complete signatures', () => {
  const HOST = 'vpc.cn-north-4.myhuaweicloud.com';
  interface OwnCase {
    name: string;
    method: string;
    /** What the client puts on the wire. */
    url: string;
    headers: Record<string, string>;
    body: string;
    canonical: string;
    signedHeaders: string;
    /** The same request as the SDK describes it: path-only endpoint, query as an object, body as data. */
    sdk: { endpoint: string; queryParams?: Record<string, string | string[]>; data?: unknown };
  }
  const headerBlock = (extra = ''): string => `content-type:application/json\nhost:${HOST}\n${extra}x-sdk-date:${DATE}\n`;
  const cases: OwnCase[] = [
    {
      name: 'a unicode path (each segment UTF-8 percent-encoded, trailing slash)',
      method: 'GET',
      url: `https://${HOST}/v1/p/vpcs/%C3%BC%E5%90%8D`,
      headers: { 'Content-Type': 'application/json' },
      body: '',
      canonical: ['GET', '/v1/p/vpcs/%C3%BC%E5%90%8D/', '', headerBlock(), 'content-type;host;x-sdk-date', EMPTY_BODY_SHA256].join('\n'),
      signedHeaders: 'content-type;host;x-sdk-date',
      sdk: { endpoint: `https://${HOST}/v1/p/vpcs/ü名` },
    },
    {
      name: 'repeated query keys (sorted by key, then by value; = and space escaped)',
      method: 'GET',
      url: `https://${HOST}/v1/p/ports?fixed_ips=subnet_id%3Db&limit=10&fixed_ips=ip_address%3Da&name=a%20b`,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'p' },
      body: '',
      canonical: [
        'GET',
        '/v1/p/ports/',
        'fixed_ips=ip_address%3Da&fixed_ips=subnet_id%3Db&limit=10&name=a%20b',
        headerBlock('x-project-id:p\n'),
        'content-type;host;x-project-id;x-sdk-date',
        EMPTY_BODY_SHA256,
      ].join('\n'),
      signedHeaders: 'content-type;host;x-project-id;x-sdk-date',
      sdk: { endpoint: `https://${HOST}/v1/p/ports`, queryParams: { fixed_ips: ['subnet_id=b', 'ip_address=a'], limit: '10', name: 'a b' } },
    },
    {
      name: 'an empty body (DELETE: the hash of zero bytes)',
      method: 'DELETE',
      url: `https://${HOST}/v1/p/ports/3d6a7fe8-5b8c-4e5a-9f2a-aa64a6d1b0c1`,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'p' },
      body: '',
      canonical: [
        'DELETE',
        '/v1/p/ports/3d6a7fe8-5b8c-4e5a-9f2a-aa64a6d1b0c1/',
        '',
        headerBlock('x-project-id:p\n'),
        'content-type;host;x-project-id;x-sdk-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
      signedHeaders: 'content-type;host;x-project-id;x-sdk-date',
      sdk: { endpoint: `https://${HOST}/v1/p/ports/3d6a7fe8-5b8c-4e5a-9f2a-aa64a6d1b0c1` },
    },
    {
      name: 'a JSON body with non-ASCII text (the UTF-8 bytes sent are hashed)',
      method: 'POST',
      url: `https://${HOST}/v1/p/vpcs`,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'p' },
      body: '{"vpc":{"name":"vpc-ü","description":"名前"}}',
      canonical: [
        'POST',
        '/v1/p/vpcs/',
        '',
        headerBlock('x-project-id:p\n'),
        'content-type;host;x-project-id;x-sdk-date',
        createHash('sha256').update(Buffer.from('{"vpc":{"name":"vpc-ü","description":"名前"}}', 'utf8')).digest('hex'),
      ].join('\n'),
      signedHeaders: 'content-type;host;x-project-id;x-sdk-date',
      sdk: { endpoint: `https://${HOST}/v1/p/vpcs`, data: { vpc: { name: 'vpc-ü', description: '名前' } } },
    },
  ];

  for (const c of cases) {
    it(`signs ${c.name}`, () => {
      const url = new URL(c.url);
      // The canonical request as written out above, and the signer's own.
      const got = canonicalRequest({
        method: c.method,
        pathname: url.pathname,
        query: parseQuery(url.search),
        signedHeaders: c.signedHeaders.split(';'),
        headerValue: (n) => ({ 'content-type': 'application/json', host: HOST, 'x-project-id': 'p', 'x-sdk-date': DATE })[n] ?? '',
        payloadHash: sha256Hex(c.body),
      });
      assert.equal(got, c.canonical);
      const sts = `SDK-HMAC-SHA256\n${DATE}\n${createHash('sha256').update(c.canonical, 'utf8').digest('hex')}`;
      assert.equal(stringToSign(DATE, c.canonical), sts);
      const expected = createHmac('sha256', Buffer.from(SK, 'utf8')).update(sts, 'utf8').digest('hex');
      const authorization = `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${c.signedHeaders}, Signature=${expected}`;

      const out = signRequest({ method: c.method, url, headers: c.headers, body: c.body, accessKey: AK, secretKey: SK, sdkDate: DATE });
      assert.equal(out.Authorization, authorization);

      const sdk = AKSKSigner.sign(
        { method: c.method, headers: { ...c.headers, 'X-Sdk-Date': DATE }, ...c.sdk } as unknown as Parameters<typeof AKSKSigner.sign>[0],
        { getAk: () => AK, getSk: () => SK } as unknown as Parameters<typeof AKSKSigner.sign>[1],
      ) as Record<string, string>;
      assert.equal(sdk.Authorization, authorization, 'the official Node SDK signs it the same way');
    });
  }
});

describe('signer: signRequest options', () => {
  const base = { method: 'POST', url: new URL('https://vpc.cn-north-4.myhuaweicloud.com/v1/p/vpcs'), accessKey: AK, secretKey: SK, sdkDate: DATE };

  function manualSignature(headers: Record<string, string>, payloadHash: string): string {
    const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const names = [...lower.keys()].filter((n) => n !== 'authorization').sort();
    const cr = canonicalRequest({
      method: 'POST',
      pathname: '/v1/p/vpcs',
      query: [],
      signedHeaders: names,
      headerValue: (n) => lower.get(n) ?? '',
      payloadHash,
    });
    return signature(SK, DATE, cr);
  }

  it('uses X-Sdk-Content-Sha256 verbatim instead of hashing the body', () => {
    const out = signRequest({ ...base, headers: { 'Content-Type': 'multipart/form-data', 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' }, body: 'anything' });
    const parsed = parseAuthorization(out.Authorization);
    assert.ok(parsed);
    assert.equal(parsed.signature, manualSignature(out, 'UNSIGNED-PAYLOAD'));
    const other = signRequest({ ...base, headers: { 'Content-Type': 'multipart/form-data', 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' }, body: 'different' });
    assert.equal(other.Authorization, out.Authorization);
  });

  it('signs the body bytes: a different body gives a different signature', () => {
    const a = signRequest({ ...base, headers: { 'Content-Type': 'application/json' }, body: '{"vpc":{}}' });
    const b = signRequest({ ...base, headers: { 'Content-Type': 'application/json' }, body: '{"vpc":{ }}' });
    assert.notEqual(a.Authorization, b.Authorization);
    assert.equal(parseAuthorization(a.Authorization)?.signature, manualSignature(a, sha256Hex('{"vpc":{}}')));
  });

  it('signs X-Security-Token when temporary credentials are used', () => {
    const out = signRequest({ ...base, headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'p', 'X-Security-Token': 'sts-token' }, body: '' });
    const parsed = parseAuthorization(out.Authorization);
    assert.deepEqual(parsed?.signedHeaders, ['content-type', 'host', 'x-project-id', 'x-sdk-date', 'x-security-token']);
    const tampered = signRequest({ ...base, headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'p', 'X-Security-Token': 'other' }, body: '' });
    assert.notEqual(parseAuthorization(tampered.Authorization)?.signature, parsed?.signature);
  });
});

describe('signer: parsers', () => {
  it('parseAuthorization reads a well-formed header and rejects garbled ones', () => {
    const v = fixture.vectors[0]!;
    assert.deepEqual(parseAuthorization(v.authorization), {
      accessKey: AK,
      signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
      signature: '34d057460efff76ecc133bb7c39910958b23c681ea8a2cea599ad40cebac7314',
    });
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(parseAuthorization(''), undefined);
    assert.equal(parseAuthorization('Bearer abc'), undefined);
    assert.equal(parseAuthorization('SDK-HMAC-SHA256 Access=AK,SignedHeaders=x-sdk-date,Signature=00'), undefined);
    assert.equal(parseAuthorization(v.authorization.replace(/Signature=.*/, 'Signature=XYZ')), undefined);
  });

  it('parseSdkDate and formatSdkDate round-trip and reject malformed dates', () => {
    const t = Date.UTC(2024, 0, 15, 8, 30, 0);
    assert.equal(formatSdkDate(t), DATE);
    assert.equal(formatSdkDate(t + 999), DATE);
    assert.equal(parseSdkDate(DATE), t);
    assert.equal(parseSdkDate('2024-01-15T08:30:00Z'), undefined);
    assert.equal(parseSdkDate('20240115T083000'), undefined);
    assert.equal(parseSdkDate('garbage'), undefined);
  });
});
