/**
 * Every malformed request gets a 4xx with `{ error: { code, message, details } }` naming the field, and changes
 * nothing: no job in any queue, no record, no cloud call. The workflow workers run against the emulator the whole
 * time, so anything that slipped through would show up as jobs, records and cloud calls.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, OTHER_ID, type Harness } from './harness.js';

interface BadCase {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  key?: string | null;
  status: number;
  code: string;
  field?: string;
  index?: number;
}

function buildCases(server: string): BadCase[] {
  const req = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ server_id: server, ...extra });
  const subnet = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'sn-1', cidr: '192.168.10.0/24', ...extra });
  return [
    { name: 'no Authorization header', body: req(), key: null, status: 401, code: 'UNAUTHORIZED' },
    { name: 'a wrong API key', body: req(), key: 'not-the-key', status: 401, code: 'UNAUTHORIZED' },
    { name: 'a text/plain body', raw: JSON.stringify(req()), headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a form body', raw: `server_id=${server}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a body over the size limit', body: req({ metadata: { blob: 'x'.repeat(2_200_000) } }), status: 413, code: 'BODY_TOO_LARGE' },
    { name: 'malformed JSON', raw: '{"server_id": ', headers: { 'content-type': 'application/json' }, status: 400, code: 'INVALID_JSON' },
    { name: 'an empty JSON body', raw: '', headers: { 'content-type': 'application/json' }, status: 400, code: 'EMPTY_BODY' },
    { name: 'a JSON array', body: [req()], status: 400, code: 'INVALID_TYPE', field: '(body)' },
    { name: 'a missing server_id', body: {}, status: 400, code: 'MISSING_FIELD', field: 'server_id' },
    { name: 'a server_id that is not a UUID', body: req({ server_id: 'i-123' }), status: 400, code: 'INVALID_UUID', field: 'server_id' },
    { name: 'an unknown field', body: req({ flavor: 's6.large' }), status: 400, code: 'UNKNOWN_FIELD', field: 'flavor' },
    { name: 'an unknown port field', body: req({ port: { fixed_ips: [] } }), status: 400, code: 'UNKNOWN_FIELD', field: 'port.fixed_ips' },
    { name: 'a VPC with id and name', body: req({ vpc: { id: OTHER_ID, name: 'v' } }), status: 400, code: 'UNKNOWN_FIELD', field: 'vpc.name' },
    { name: 'a VPC name with a space', body: req({ vpc: { name: 'my vpc', cidr: '10.0.0.0/16' } }), status: 400, code: 'INVALID_NAME', field: 'vpc.name' },
    { name: 'a VPC name of 65 characters', body: req({ vpc: { name: 'v'.repeat(65), cidr: '10.0.0.0/16' } }), status: 400, code: 'INVALID_NAME', field: 'vpc.name' },
    { name: 'a VPC description with <', body: req({ vpc: { name: 'v', cidr: '10.0.0.0/16', description: '<script>' } }), status: 400, code: 'INVALID_DESCRIPTION', field: 'vpc.description' },
    { name: 'a public VPC cidr', body: req({ vpc: { name: 'v', cidr: '100.64.0.0/16' } }), status: 400, code: 'CIDR_NOT_PRIVATE', field: 'vpc.cidr' },
    { name: 'a VPC prefix of /29', body: req({ vpc: { name: 'v', cidr: '10.0.0.0/29' } }), status: 400, code: 'CIDR_PREFIX_OUT_OF_RANGE', field: 'vpc.cidr' },
    { name: 'a malformed VPC cidr', body: req({ vpc: { name: 'v', cidr: '10.0.0.0/33' } }), status: 400, code: 'INVALID_CIDR', field: 'vpc.cidr' },
    { name: 'an unaligned subnet cidr', body: req({ subnet: subnet({ cidr: '192.168.10.5/24' }) }), status: 400, code: 'CIDR_NOT_ALIGNED', field: 'subnet.cidr' },
    { name: 'a subnet outside the VPC', body: req({ vpc: { name: 'v', cidr: '10.0.0.0/16' }, subnet: subnet() }), status: 400, code: 'SUBNET_OUTSIDE_VPC', field: 'subnet.cidr' },
    { name: 'a subnet prefix of /30', body: req({ subnet: subnet({ cidr: '192.168.10.0/30' }) }), status: 400, code: 'CIDR_PREFIX_OUT_OF_RANGE', field: 'subnet.cidr' },
    { name: 'a gateway outside the subnet', body: req({ subnet: subnet({ gateway_ip: '192.168.20.1' }) }), status: 400, code: 'GATEWAY_OUTSIDE_SUBNET', field: 'subnet.gateway_ip' },
    { name: 'the broadcast address as gateway', body: req({ subnet: subnet({ gateway_ip: '192.168.10.255' }) }), status: 400, code: 'GATEWAY_RESERVED', field: 'subnet.gateway_ip' },
    { name: 'a bad DNS server', body: req({ subnet: subnet({ primary_dns: '8.8.8' }) }), status: 400, code: 'INVALID_DNS', field: 'subnet.primary_dns' },
    { name: 'an unknown DHCP option', body: req({ subnet: subnet({ extra_dhcp_opts: [{ opt_name: 'domain' }] }) }), status: 400, code: 'INVALID_DHCP_OPTION', field: 'subnet.extra_dhcp_opts[0].opt_name' },
    { name: 'a fixed IP outside the subnet', body: req({ subnet: subnet(), port: { fixed_ip: '192.168.11.9' } }), status: 400, code: 'FIXED_IP_OUTSIDE_SUBNET', field: 'port.fixed_ip' },
    { name: 'a reserved fixed IP', body: req({ subnet: subnet(), port: { fixed_ip: '192.168.10.1' } }), status: 400, code: 'FIXED_IP_RESERVED', field: 'port.fixed_ip' },
    { name: 'a malformed fixed IP', body: req({ port: { fixed_ip: '10.0.0.300' } }), status: 400, code: 'INVALID_IP', field: 'port.fixed_ip' },
    { name: 'a security group name instead of id', body: req({ port: { security_group_ids: ['default'] } }), status: 400, code: 'INVALID_UUID', field: 'port.security_group_ids[0]' },
    { name: 'eleven security groups', body: req({ port: { security_group_ids: Array.from({ length: 11 }, () => OTHER_ID) } }), status: 400, code: 'TOO_MANY_SECURITY_GROUPS', field: 'port.security_group_ids' },
    { name: 'an ftp callback_url', body: req({ callback_url: 'ftp://example.com/hook' }), status: 400, code: 'INVALID_CALLBACK_URL', field: 'callback_url' },
    // callback_url targets, refused at submission as webhook subscriptions are (WEBHOOK_ALLOW_PRIVATE is off here).
    { name: 'a loopback callback_url', body: req({ callback_url: 'http://127.0.0.1/x' }), status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'callback_url' },
    { name: 'a cloud metadata callback_url', body: req({ callback_url: 'http://169.254.169.254/latest/meta-data/' }), status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'callback_url' },
    { name: 'a loopback callback_url written as one number', body: req({ callback_url: 'http://2130706433:8080/x' }), status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'callback_url' },
    { name: 'an IPv4-mapped IPv6 loopback callback_url', body: req({ callback_url: 'http://[::ffff:127.0.0.1]/x' }), status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'callback_url' },
    { name: 'a localhost callback_url', body: req({ callback_url: 'https://api.localhost/hook' }), status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'callback_url' },
    { name: 'a batch with a private callback_url', path: '/v1/batches', body: { items: [req()], callback_url: 'http://10.1.2.3/done' }, status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'callback_url' },
    { name: 'a batch item with a link-local callback_url', path: '/v1/batches', body: { items: [req(), req({ callback_url: 'http://169.254.10.1/x' })] }, status: 400, code: 'CALLBACK_URL_FORBIDDEN', field: 'items[1].callback_url', index: 1 },
    { name: 'metadata over 4 KiB', body: req({ metadata: { note: 'n'.repeat(5000) } }), status: 400, code: 'METADATA_TOO_LARGE', field: 'metadata' },
    { name: 'an Idempotency-Key with a space', body: req(), headers: { 'idempotency-key': 'two words' }, status: 400, code: 'INVALID_IDEMPOTENCY_KEY', field: 'idempotency-key' },
    { name: 'a batch with one bad item', path: '/v1/batches', body: { items: [req(), req(), req({ port: { fixed_ip: '8.8.8.8' } })] }, status: 400, code: 'FIXED_IP_NOT_PRIVATE', field: 'items[2].port.fixed_ip', index: 2 },
    { name: 'a batch over the item limit', path: '/v1/batches', body: { items: Array.from({ length: 6 }, () => req()) }, status: 413, code: 'BATCH_TOO_LARGE', field: 'items' },
    { name: 'an empty batch', path: '/v1/batches', body: { items: [] }, status: 400, code: 'BATCH_EMPTY', field: 'items' },
    { name: 'a batch with an unknown field', path: '/v1/batches', body: { items: [req()], priority: 'high' }, status: 400, code: 'UNKNOWN_FIELD', field: 'priority' },
    { name: 'a list with a bad limit', method: 'GET', path: '/v1/attachments?limit=0', status: 400, code: 'INVALID_LIMIT', field: 'limit' },
    { name: 'a list with an unknown status', method: 'GET', path: '/v1/attachments?status=done', status: 400, code: 'INVALID_STATUS', field: 'status' },
    { name: 'a list with an unknown filter', method: 'GET', path: '/v1/attachments?owner=me', status: 400, code: 'UNKNOWN_FIELD', field: 'owner' },
    { name: 'a malformed attachment id', method: 'GET', path: '/v1/attachments/12345', status: 400, code: 'INVALID_ID', field: 'id' },
    { name: 'cancelling an unknown attachment', method: 'POST', path: '/v1/attachments/att_00000000-0000-4000-8000-000000000000/cancel', status: 404, code: 'ATTACHMENT_NOT_FOUND' },
    { name: 'an unknown route', method: 'POST', path: '/v1/attachment', body: req(), status: 404, code: 'NOT_FOUND' },
  ];
}

describe('API: bad input changes nothing', () => {
  let h: Harness;
  let server: string;

  before(async () => {
    h = await startHarness({ workers: true, overrides: { api: { batchMaxItems: 5 }, webhook: { allowPrivate: false } } });
    server = (await h.emulator.control.createServer({ name: 'bad-input-target' })).id;
  });
  after(async () => {
    await h?.stop();
  });

  // The cases are built inside the tests (the server id exists only after `before`); names come from a dry build.
  const cases = (): BadCase[] => buildCases(server);
  const names = buildCases('00000000-0000-4000-8000-000000000000').map((c) => c.name);

  it('has at least 30 cases', () => assert.ok(names.length >= 30));

  for (const name of names) {
    it(`refuses ${name}`, async () => {
      const c = cases().find((x) => x.name === name);
      assert.ok(c, `case ${name} exists`);
      const res = await h.call<{ error: { code: string; message: string; details: Record<string, unknown> } }>(c.method ?? 'POST', c.path ?? '/v1/attachments', {
        ...(c.body === undefined ? {} : { body: c.body }),
        ...(c.raw === undefined ? {} : { raw: c.raw }),
        ...(c.headers ? { headers: c.headers } : {}),
        ...(c.key === undefined ? {} : { key: c.key }),
      });
      assert.equal(res.status, c.status, res.text.slice(0, 500));
      assert.ok(res.body?.error, `error envelope: ${res.text.slice(0, 300)}`);
      assert.equal(res.body.error.code, c.code, res.body.error.message);
      assert.equal(typeof res.body.error.message, 'string');
      assert.equal(typeof res.body.error.details, 'object');
      assert.ok(!/\n\s+at /.test(res.text), 'no stack trace');
      if (c.field !== undefined) assert.equal(res.body.error.details.field, c.field, res.body.error.message);
      if (c.index !== undefined) assert.equal(res.body.error.details.index, c.index);
      assert.equal(await h.enqueued(), 0, 'no job in any queue');
      assert.deepEqual(await h.recordKeys(), [], 'no record, batch or idempotency key');
      assert.equal(await h.cloudCalls(), 0, 'no cloud call');
    });
  }

  it('names every case once', () => {
    assert.equal(new Set(names).size, names.length);
  });
});
