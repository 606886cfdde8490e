/** The outbound guard's address classification, by table: IPv4, IPv6 and IPv6 forms that embed IPv4. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, isAddressAllowed, type AddressClass } from '../../../src/events/address-class.js';

const TABLE: Array<[string, AddressClass]> = [
  // IPv4
  ['8.8.8.8', 'public'],
  ['93.184.216.34', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['169.254.1.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.1', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.18.0.1', 'reserved'],
  // IPv6
  ['2606:4700:4700::1111', 'public'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['fec0::1', 'private'],
  ['ff02::1', 'multicast'],
  ['fd00:ec2::254', 'metadata'],
  ['2001:db8::1', 'reserved'],
  ['[::1]', 'loopback'],
  // IPv6 embedding IPv4
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:8.8.8.8', 'public'],
  ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
  ['::127.0.0.1', 'loopback'],
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::808:808', 'public'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:0808:0808::1', 'public'],
  // not addresses
  ['localhost', 'invalid'],
  ['1.2.3', 'invalid'],
  ['256.1.1.1', 'invalid'],
  ['1:2:3:4:5:6:7:8:9', 'invalid'],
];

describe('classifyAddress', () => {
  for (const [address, cls] of TABLE) {
    it(`${address} is ${cls}`, () => {
      assert.equal(classifyAddress(address), cls);
    });
  }
});

describe('isAddressAllowed', () => {
  it('allows only public addresses when private ones are not allowed', () => {
    for (const [address, cls] of TABLE) assert.equal(isAddressAllowed(address, false).allowed, cls === 'public', address);
  });
  it('with allowPrivate, opens everything but metadata services and non-addresses', () => {
    for (const [address, cls] of TABLE) assert.equal(isAddressAllowed(address, true).allowed, cls !== 'metadata' && cls !== 'invalid', address);
  });
});
