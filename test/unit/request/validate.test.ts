import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError, AppError } from '../../../src/lib/errors.js';
import {
  canonicalJson,
  pointerToField,
  requestHash,
  validateAttachmentRequest,
  validateBatchRequest,
  validatedBatchOf,
} from '../../../src/workflow/request/index.js';

const SERVER = '2b8e1a6e-3f0c-4e43-9a5d-5f1f0c2a7b11';
const OTHER = '7d4f9a0c-1b2e-4c3d-8e9f-0a1b2c3d4e5f';

type Body = Record<string, unknown>;
const base = (extra: Body = {}): Body => ({ server_id: SERVER, ...extra });
const newSubnet = (extra: Body = {}): Body => ({ name: 'subnet-a', cidr: '192.168.10.0/24', ...extra });

function expectProblem(body: unknown, code: string, field: string): ValidationError {
  let caught: unknown;
  try {
    validateAttachmentRequest(body);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ValidationError, `expected a ValidationError for ${JSON.stringify(body)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.details?.field, field, caught.message);
  assert.equal(caught.httpStatus, 400);
  assert.ok(caught.message.includes(field), `message names the field: ${caught.message}`);
  return caught;
}

describe('validateAttachmentRequest accepts', () => {
  const good: Array<[string, Body]> = [
    ['a server id alone (server VPC, default subnet)', base()],
    ['an existing VPC and subnet by id', base({ vpc: { id: OTHER }, subnet: { id: OTHER } })],
    ['a VPC and subnet to find or create', base({ vpc: { name: 'vpc-1', cidr: '192.168.0.0/16', description: 'made by nic-attach' }, subnet: newSubnet() })],
    ['Chinese names', base({ vpc: { name: '生产网络', cidr: '10.0.0.0/8' }, subnet: newSubnet({ name: '子网_1.a', cidr: '10.1.0.0/24' }) })],
    [
      'every CreateSubnet option',
      base({
        subnet: newSubnet({
          gateway_ip: '192.168.10.254',
          description: '',
          dhcp_enable: true,
          ipv6_enable: false,
          primary_dns: '100.125.1.250',
          secondary_dns: '100.125.21.250',
          dns_list: ['100.125.1.250', '100.125.21.250'],
          availability_zone: 'cn-north-4a',
          extra_dhcp_opts: [
            { opt_name: 'ntp', opt_value: '10.0.0.1,10.0.0.2' },
            { opt_name: 'addresstime', opt_value: '30000h' },
          ],
        }),
      }),
    ],
    ['a fixed IP inside the subnet', base({ subnet: newSubnet(), port: { fixed_ip: '192.168.10.20', security_group_ids: [OTHER] } })],
    ['a fixed IP with the subnet by id (private)', base({ subnet: { id: OTHER }, port: { fixed_ip: '172.16.3.4' } })],
    ['addresstime -1', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'addresstime', opt_value: '-1' }] }) })],
    ['a subnet as large as its /28 minimum', base({ vpc: { name: 'v', cidr: '10.0.0.0/28' }, subnet: newSubnet({ cidr: '10.0.0.0/28' }) })],
    ['callback and metadata', base({ callback_url: 'https://example.com/hook?x=1', metadata: { team: 'net', n: 3, nested: { a: [1] } } })],
    ['upper-case UUIDs', base({ server_id: SERVER.toUpperCase() })],
  ];
  for (const [name, body] of good) {
    it(name, () => assert.deepEqual(validateAttachmentRequest(body), body));
  }
});

describe('validateAttachmentRequest refuses', () => {
  const bad: Array<[string, unknown, string, string]> = [
    ['a non-object body', 'hello', 'INVALID_TYPE', '(body)'],
    ['an array body', [base()], 'INVALID_TYPE', '(body)'],
    ['a missing server_id', {}, 'MISSING_FIELD', 'server_id'],
    ['a server_id that is not a UUID', base({ server_id: 'srv-1' }), 'INVALID_UUID', 'server_id'],
    ['a numeric server_id', base({ server_id: 42 }), 'INVALID_TYPE', 'server_id'],
    ['an unknown top-level field', base({ servers: [] }), 'UNKNOWN_FIELD', 'servers'],
    ['an unknown nested field', base({ port: { fixed_ips: ['10.0.0.5'] } }), 'UNKNOWN_FIELD', 'port.fixed_ips'],
    ['a VPC with both id and name', base({ vpc: { id: OTHER, name: 'x' } }), 'UNKNOWN_FIELD', 'vpc.name'],
    ['a VPC id that is not a UUID', base({ vpc: { id: 'vpc-1' } }), 'INVALID_UUID', 'vpc.id'],
    ['a VPC by name without cidr', base({ vpc: { name: 'v' } }), 'MISSING_FIELD', 'vpc.cidr'],
    ['a VPC that is a string', base({ vpc: 'vpc-1' }), 'INVALID_TYPE', 'vpc'],
    ['an empty VPC name', base({ vpc: { name: '', cidr: '10.0.0.0/16' } }), 'INVALID_NAME', 'vpc.name'],
    ['a VPC name with a space', base({ vpc: { name: 'my vpc', cidr: '10.0.0.0/16' } }), 'INVALID_NAME', 'vpc.name'],
    ['a VPC name of 65 characters', base({ vpc: { name: 'a'.repeat(65), cidr: '10.0.0.0/16' } }), 'INVALID_NAME', 'vpc.name'],
    ['a VPC description with <', base({ vpc: { name: 'v', cidr: '10.0.0.0/16', description: '<b>' } }), 'INVALID_DESCRIPTION', 'vpc.description'],
    ['a VPC description of 256 characters', base({ vpc: { name: 'v', cidr: '10.0.0.0/16', description: 'd'.repeat(256) } }), 'INVALID_DESCRIPTION', 'vpc.description'],
    ['a malformed VPC cidr', base({ vpc: { name: 'v', cidr: '10.0.0.0' } }), 'INVALID_CIDR', 'vpc.cidr'],
    ['a public VPC cidr', base({ vpc: { name: 'v', cidr: '8.8.0.0/16' } }), 'CIDR_NOT_PRIVATE', 'vpc.cidr'],
    ['a VPC cidr wider than its range', base({ vpc: { name: 'v', cidr: '172.0.0.0/11' } }), 'CIDR_NOT_PRIVATE', 'vpc.cidr'],
    ['a VPC prefix of /29', base({ vpc: { name: 'v', cidr: '10.0.0.0/29' } }), 'CIDR_PREFIX_OUT_OF_RANGE', 'vpc.cidr'],
    ['a VPC prefix of /7', base({ vpc: { name: 'v', cidr: '10.0.0.0/7' } }), 'CIDR_PREFIX_OUT_OF_RANGE', 'vpc.cidr'],
    ['an unaligned VPC cidr', base({ vpc: { name: 'v', cidr: '10.0.0.1/16' } }), 'CIDR_NOT_ALIGNED', 'vpc.cidr'],
    ['a subnet by name without cidr', base({ subnet: { name: 's' } }), 'MISSING_FIELD', 'subnet.cidr'],
    ['a subnet id that is not a UUID', base({ subnet: { id: '123' } }), 'INVALID_UUID', 'subnet.id'],
    ['a subnet name with /', base({ subnet: newSubnet({ name: 'a/b' }) }), 'INVALID_NAME', 'subnet.name'],
    ['a subnet prefix of /29', base({ subnet: newSubnet({ cidr: '192.168.10.0/29' }) }), 'CIDR_PREFIX_OUT_OF_RANGE', 'subnet.cidr'],
    ['an unaligned subnet cidr', base({ subnet: newSubnet({ cidr: '192.168.10.7/24' }) }), 'CIDR_NOT_ALIGNED', 'subnet.cidr'],
    ['a public subnet cidr', base({ subnet: newSubnet({ cidr: '11.0.0.0/24' }) }), 'CIDR_NOT_PRIVATE', 'subnet.cidr'],
    ['a subnet outside the VPC', base({ vpc: { name: 'v', cidr: '10.0.0.0/16' }, subnet: newSubnet({ cidr: '10.1.0.0/24' }) }), 'SUBNET_OUTSIDE_VPC', 'subnet.cidr'],
    ['a subnet larger than the VPC', base({ vpc: { name: 'v', cidr: '10.0.0.0/16' }, subnet: newSubnet({ cidr: '10.0.0.0/8' }) }), 'SUBNET_OUTSIDE_VPC', 'subnet.cidr'],
    ['a malformed gateway', base({ subnet: newSubnet({ gateway_ip: '192.168.10' }) }), 'INVALID_IP', 'subnet.gateway_ip'],
    ['a gateway outside the subnet', base({ subnet: newSubnet({ gateway_ip: '192.168.11.1' }) }), 'GATEWAY_OUTSIDE_SUBNET', 'subnet.gateway_ip'],
    ['the network address as gateway', base({ subnet: newSubnet({ gateway_ip: '192.168.10.0' }) }), 'GATEWAY_RESERVED', 'subnet.gateway_ip'],
    ['the broadcast address as gateway', base({ subnet: newSubnet({ gateway_ip: '192.168.10.255' }) }), 'GATEWAY_RESERVED', 'subnet.gateway_ip'],
    ['a non-boolean dhcp_enable', base({ subnet: newSubnet({ dhcp_enable: 'yes' }) }), 'INVALID_TYPE', 'subnet.dhcp_enable'],
    ['a bad primary DNS', base({ subnet: newSubnet({ primary_dns: 'dns.example.com' }) }), 'INVALID_DNS', 'subnet.primary_dns'],
    ['a bad DNS list entry', base({ subnet: newSubnet({ dns_list: ['8.8.8.8', '::1'] }) }), 'INVALID_DNS', 'subnet.dns_list[1]'],
    ['a DNS list missing the primary', base({ subnet: newSubnet({ primary_dns: '8.8.8.8', dns_list: ['8.8.4.4'] }) }), 'DNS_LIST_MISMATCH', 'subnet.dns_list'],
    ['a DNS list with a duplicate', base({ subnet: newSubnet({ dns_list: ['8.8.8.8', '8.8.8.8'] }) }), 'INVALID_DNS', 'subnet.dns_list'],
    ['a bad availability zone', base({ subnet: newSubnet({ availability_zone: 'CN North 4a' }) }), 'INVALID_AVAILABILITY_ZONE', 'subnet.availability_zone'],
    ['an unknown DHCP option', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'router' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[0].opt_name'],
    ['five NTP servers', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'ntp', opt_value: '1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[0].opt_value'],
    ['a repeated NTP server', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'ntp', opt_value: '1.1.1.1,1.1.1.1' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[0].opt_value'],
    ['a non-IP NTP server', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'ntp', opt_value: 'ntp.example.com' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[0].opt_value'],
    ['addresstime of 30001h', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'addresstime', opt_value: '30001h' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[0].opt_value'],
    ['addresstime without unit', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'addresstime', opt_value: '24' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[0].opt_value'],
    ['the same DHCP option twice', base({ subnet: newSubnet({ extra_dhcp_opts: [{ opt_name: 'ntp' }, { opt_name: 'ntp' }] }) }), 'INVALID_DHCP_OPTION', 'subnet.extra_dhcp_opts[1].opt_name'],
    ['a malformed fixed IP', base({ port: { fixed_ip: '10.0.0.256' } }), 'INVALID_IP', 'port.fixed_ip'],
    ['a fixed IP outside the subnet', base({ subnet: newSubnet(), port: { fixed_ip: '192.168.11.5' } }), 'FIXED_IP_OUTSIDE_SUBNET', 'port.fixed_ip'],
    ['a fixed IP equal to the gateway', base({ subnet: newSubnet(), port: { fixed_ip: '192.168.10.1' } }), 'FIXED_IP_RESERVED', 'port.fixed_ip'],
    ['a fixed IP equal to a custom gateway', base({ subnet: newSubnet({ gateway_ip: '192.168.10.9' }), port: { fixed_ip: '192.168.10.9' } }), 'FIXED_IP_RESERVED', 'port.fixed_ip'],
    ['a fixed IP on the DHCP address', base({ subnet: newSubnet(), port: { fixed_ip: '192.168.10.254' } }), 'FIXED_IP_RESERVED', 'port.fixed_ip'],
    ['a public fixed IP with the subnet unknown', base({ port: { fixed_ip: '8.8.8.8' } }), 'FIXED_IP_NOT_PRIVATE', 'port.fixed_ip'],
    ['a fixed IP outside a known VPC', base({ vpc: { name: 'v', cidr: '10.0.0.0/16' }, subnet: { id: OTHER }, port: { fixed_ip: '10.1.0.5' } }), 'FIXED_IP_OUTSIDE_SUBNET', 'port.fixed_ip'],
    ['a security group that is not a UUID', base({ port: { security_group_ids: ['default'] } }), 'INVALID_UUID', 'port.security_group_ids[0]'],
    ['security groups as a string', base({ port: { security_group_ids: OTHER } }), 'INVALID_TYPE', 'port.security_group_ids'],
    ['eleven security groups', base({ port: { security_group_ids: Array.from({ length: 11 }, () => OTHER) } }), 'TOO_MANY_SECURITY_GROUPS', 'port.security_group_ids'],
    ['a repeated security group', base({ port: { security_group_ids: [OTHER, OTHER.toUpperCase()] } }), 'DUPLICATE_SECURITY_GROUP', 'port.security_group_ids'],
    ['an ftp callback', base({ callback_url: 'ftp://example.com/x' }), 'INVALID_CALLBACK_URL', 'callback_url'],
    ['a relative callback', base({ callback_url: '/hooks' }), 'INVALID_CALLBACK_URL', 'callback_url'],
    ['a callback with credentials', base({ callback_url: 'https://user:pw@example.com/' }), 'INVALID_CALLBACK_URL', 'callback_url'],
    ['metadata that is an array', base({ metadata: [1, 2] }), 'INVALID_TYPE', 'metadata'],
    ['metadata with 33 keys', base({ metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }), 'METADATA_TOO_LARGE', 'metadata'],
    ['metadata over 4 KiB', base({ metadata: { blob: 'x'.repeat(4100) } }), 'METADATA_TOO_LARGE', 'metadata'],
  ];
  for (const [name, body, code, field] of bad) {
    it(`${name} (${code} at ${field})`, () => {
      expectProblem(body, code, field);
    });
  }

  it('lists every problem, the first one naming the code', () => {
    const err = expectProblem(base({ vpc: { name: 'v', cidr: '8.8.0.0/16' }, port: { security_group_ids: [OTHER, OTHER] } }), 'CIDR_NOT_PRIVATE', 'vpc.cidr');
    const errors = err.details?.errors as Array<{ code: string }>;
    assert.deepEqual(errors.map((e) => e.code), ['CIDR_NOT_PRIVATE', 'DUPLICATE_SECURITY_GROUP']);
  });
});

describe('validateBatchRequest', () => {
  it('accepts a batch and returns it', () => {
    const batch = { items: [base(), base({ subnet: { id: OTHER } })], callback_url: 'http://127.0.0.1:9/x', metadata: { run: 1 } };
    assert.deepEqual(validateBatchRequest(batch, { maxItems: 2 }), batch);
  });
  it('rejects the whole batch for one bad item, naming its index', () => {
    try {
      validateBatchRequest({ items: [base(), base(), base({ subnet: newSubnet({ gateway_ip: '10.0.0.1' }) })] }, { maxItems: 10 });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.code, 'GATEWAY_OUTSIDE_SUBNET');
      assert.equal(err.details?.index, 2);
      assert.equal(err.details?.field, 'items[2].subnet.gateway_ip');
    }
  });
  it('names the index of a structural problem too', () => {
    assert.throws(() => validateBatchRequest({ items: [base(), { server_id: 'nope' }] }, { maxItems: 10 }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.code, 'INVALID_UUID');
      assert.equal(err.details?.index, 1);
      return true;
    });
  });
  it('refuses more items than the limit with 413 before looking at them', () => {
    assert.throws(() => validateBatchRequest({ items: [1, 2, 3] }, { maxItems: 2 }), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'BATCH_TOO_LARGE');
      assert.equal(err.httpStatus, 413);
      return true;
    });
  });
  it('refuses an empty batch, a missing items list and unknown fields', () => {
    for (const [body, code, field] of [
      [{ items: [] }, 'BATCH_EMPTY', 'items'],
      [{}, 'MISSING_FIELD', 'items'],
      [{ items: [base()], priority: 1 }, 'UNKNOWN_FIELD', 'priority'],
      [{ items: [base()], metadata: { x: 'y'.repeat(5000) } }, 'METADATA_TOO_LARGE', 'metadata'],
    ] as const) {
      assert.throws(() => validateBatchRequest(body, { maxItems: 5 }), (err: unknown) => {
        assert.ok(err instanceof ValidationError, String(err));
        assert.equal(err.code, code, err.message);
        assert.equal(err.details?.field, field);
        return true;
      });
    }
  });
});

describe('validatedBatchOf', () => {
  it('knows the very body validateBatchRequest accepted, and nothing else', () => {
    const body = { items: [base(), base({ subnet: newSubnet() })] };
    assert.equal(validatedBatchOf(body), undefined, 'not validated yet');
    const validated = validateBatchRequest(body, { maxItems: 5 });
    assert.equal(validatedBatchOf(body), validated);
    assert.equal(validatedBatchOf({ ...body }), undefined, 'a copy was never validated');
    assert.equal(validatedBatchOf(null), undefined);
    const refused = { items: [base({ server_id: 'nope' })] };
    assert.throws(() => validateBatchRequest(refused, { maxItems: 5 }));
    assert.equal(validatedBatchOf(refused), undefined, 'a refused body is not marked');
  });
});

describe('canonical JSON and request hash', () => {
  it('ignores key order and undefined values', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    assert.equal(requestHash({ a: 1, b: 2 }), requestHash({ b: 2, a: 1 }));
    assert.notEqual(requestHash({ a: 1 }), requestHash({ a: 2 }));
  });
  it('turns JSON pointers into field paths', () => {
    assert.equal(pointerToField('/items/3/subnet/cidr'), 'items[3].subnet.cidr');
    assert.equal(pointerToField(''), '(body)');
    assert.equal(pointerToField('/a~1b'), 'a/b');
  });
});
