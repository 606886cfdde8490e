import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrContains,
  cidrContainsIp,
  cidrFrom,
  cidrOverlaps,
  firstHost,
  formatCidr,
  formatIpv4,
  isAligned,
  isIpv4,
  isPrivateCidr,
  isPrivateIp,
  lastHost,
  parseCidr,
  parseIpv4,
  prefixMask,
  requireCidr,
  reservedAddresses,
} from '../../../src/lib/net.js';

function cidr(text: string) {
  const c = parseCidr(text);
  assert.ok(c, `${text} parses`);
  return c;
}

function ip(text: string): number {
  const v = parseIpv4(text);
  assert.ok(v !== undefined, `${text} parses`);
  return v;
}

describe('parseIpv4', () => {
  for (const good of ['0.0.0.0', '10.0.0.1', '192.168.1.254', '255.255.255.255', '172.16.0.0']) {
    it(`accepts ${good} and formats it back`, () => {
      assert.equal(formatIpv4(ip(good)), good);
      assert.equal(isIpv4(good), true);
    });
  }
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', '1..2.3', '1.2.3.4/24', '::1', '1.2.3.1000']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.equal(parseIpv4(bad), undefined);
      assert.equal(isIpv4(bad), false);
    });
  }
  it('refuses what is not a string (request bodies are unknown)', () => {
    for (const value of [undefined, null, 167772161, ['10.0.0.1'], { ip: '10.0.0.1' }]) {
      assert.equal(parseIpv4(value), undefined);
      assert.equal(isIpv4(value), false);
      assert.equal(parseCidr(value), undefined);
    }
  });
  it('keeps high addresses unsigned', () => {
    assert.equal(ip('255.255.255.255'), 4294967295);
    assert.ok(ip('200.0.0.0') > ip('100.0.0.0'));
  });
});

describe('parseCidr', () => {
  it('computes network, broadcast and size', () => {
    const c = cidr('192.168.1.0/24');
    assert.equal(formatIpv4(c.network), '192.168.1.0');
    assert.equal(formatIpv4(c.broadcast), '192.168.1.255');
    assert.equal(c.size, 256);
    assert.equal(c.prefix, 24);
    assert.equal(formatCidr(c), '192.168.1.0/24');
  });
  it('handles /0 and /32', () => {
    const all = cidr('0.0.0.0/0');
    assert.equal(all.size, 2 ** 32);
    assert.equal(formatIpv4(all.broadcast), '255.255.255.255');
    const one = cidr('10.1.2.3/32');
    assert.equal(one.network, one.broadcast);
  });
  it('tells aligned from unaligned blocks', () => {
    assert.equal(isAligned(cidr('10.0.0.0/16')), true);
    assert.equal(isAligned(cidr('10.0.5.0/16')), false);
    assert.equal(formatCidr(cidr('10.0.5.0/16')), '10.0.0.0/16');
  });
  for (const bad of ['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0/8', '10.0.0.0/8/8', 'x/8', '10.0.0.0/ 8']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseCidr(bad), undefined));
  }
  it('builds a block from an address and a prefix, as parsing the text would', () => {
    for (const [address, prefix] of [['10.0.5.7', 16], ['192.168.0.0', 24], ['255.255.255.255', 0], ['200.1.2.3', 32]] as const) {
      assert.deepEqual(cidrFrom(ip(address), prefix), cidr(`${address}/${prefix}`));
    }
    const narrowed = cidrFrom(cidr('172.16.0.0/12').network, 24);
    assert.equal(formatCidr(narrowed), '172.16.0.0/24');
    assert.equal(isAligned(narrowed), true);
  });
  it('requireCidr parses constants and throws on a malformed one', () => {
    assert.deepEqual(requireCidr('10.0.0.0/8'), cidr('10.0.0.0/8'));
    assert.throws(() => requireCidr('10.0.0.0/33'), /malformed CIDR constant "10.0.0.0\/33"/);
    assert.throws(() => requireCidr('10.0.0.0'), /malformed CIDR constant/);
  });
  it('masks', () => {
    assert.equal(prefixMask(0), 0);
    assert.equal(formatIpv4(prefixMask(8)), '255.0.0.0');
    assert.equal(formatIpv4(prefixMask(28)), '255.255.255.240');
    assert.equal(formatIpv4(prefixMask(32)), '255.255.255.255');
  });
});

describe('containment', () => {
  it('a block contains its sub-blocks and itself, not its neighbours', () => {
    const vpc = cidr('10.0.0.0/16');
    assert.equal(cidrContains(vpc, cidr('10.0.1.0/24')), true);
    assert.equal(cidrContains(vpc, vpc), true);
    assert.equal(cidrContains(vpc, cidr('10.1.0.0/24')), false);
    assert.equal(cidrContains(vpc, cidr('10.0.0.0/8')), false);
  });
  it('addresses at the edges', () => {
    const c = cidr('172.16.4.0/22');
    assert.equal(cidrContainsIp(c, ip('172.16.4.0')), true);
    assert.equal(cidrContainsIp(c, ip('172.16.7.255')), true);
    assert.equal(cidrContainsIp(c, ip('172.16.8.0')), false);
    assert.equal(cidrContainsIp(c, ip('172.16.3.255')), false);
  });
  it('overlap', () => {
    assert.equal(cidrOverlaps(cidr('10.0.0.0/24'), cidr('10.0.0.128/25')), true);
    assert.equal(cidrOverlaps(cidr('10.0.0.0/25'), cidr('10.0.0.128/25')), false);
  });
});

describe('private ranges', () => {
  const table: Array<[string, boolean]> = [
    ['10.0.0.0/8', true],
    ['10.255.255.240/28', true],
    ['172.16.0.0/12', true],
    ['172.31.255.0/24', true],
    ['172.32.0.0/16', false],
    ['172.0.0.0/8', false],
    ['192.168.0.0/16', true],
    ['192.169.0.0/16', false],
    ['192.168.0.0/15', false],
    ['8.8.8.0/24', false],
    ['0.0.0.0/0', false],
  ];
  for (const [text, expected] of table) {
    it(`${text} ${expected ? 'is' : 'is not'} private`, () => assert.equal(isPrivateCidr(cidr(text)), expected));
  }
  it('addresses', () => {
    assert.equal(isPrivateIp(ip('10.9.8.7')), true);
    assert.equal(isPrivateIp(ip('100.64.0.1')), false);
  });
});

describe('hosts and reserved addresses', () => {
  it('first and last host', () => {
    const c = cidr('192.168.10.0/24');
    assert.equal(formatIpv4(firstHost(c)), '192.168.10.1');
    assert.equal(formatIpv4(lastHost(c)), '192.168.10.254');
  });
  it('reserves network, gateway and the last three', () => {
    const c = cidr('192.168.10.0/24');
    const reserved = [...reservedAddresses(c)].map(formatIpv4).sort();
    assert.deepEqual(reserved, ['192.168.10.0', '192.168.10.1', '192.168.10.253', '192.168.10.254', '192.168.10.255']);
    const custom = [...reservedAddresses(c, ip('192.168.10.9'))].map(formatIpv4);
    assert.ok(custom.includes('192.168.10.9'));
    assert.ok(!custom.includes('192.168.10.1'));
  });
});
