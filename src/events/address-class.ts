/**
 * Classifies an IP address for the outbound guard: is it somewhere a webhook must not reach (loopback, private,
 * link-local, CGNAT, unspecified, multicast, reserved, a cloud metadata service)? IPv6 forms that embed an IPv4
 * address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16, IPv4-compatible ::a.b.c.d) are judged
 * by the IPv4 address inside them, so `::ffff:127.0.0.1` is loopback like `127.0.0.1`.
 */
import { isIP } from 'node:net';
import { cidrContainsIp, parseIpv4, requireCidr, type Cidr } from '../lib/net.js';

export type AddressClass =
  | 'public'
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

interface V4Range {
  cidr: Cidr;
  cls: AddressClass;
}

const r4 = (cidr: string, cls: AddressClass): V4Range => ({ cidr: requireCidr(cidr), cls });

// Order matters: the first match wins (metadata before link-local / CGNAT, which contain those addresses).
const V4_RANGES: readonly V4Range[] = [
  r4('169.254.169.254/32', 'metadata'), // AWS, Huawei Cloud, OpenStack, GCP, Azure
  r4('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  r4('0.0.0.0/8', 'unspecified'),
  r4('127.0.0.0/8', 'loopback'),
  r4('10.0.0.0/8', 'private'),
  r4('172.16.0.0/12', 'private'),
  r4('192.168.0.0/16', 'private'),
  r4('100.64.0.0/10', 'cgnat'),
  r4('169.254.0.0/16', 'link-local'),
  r4('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  r4('192.0.2.0/24', 'reserved'), // documentation
  r4('198.51.100.0/24', 'reserved'),
  r4('203.0.113.0/24', 'reserved'),
  r4('198.18.0.0/15', 'reserved'), // benchmarking
  r4('224.0.0.0/4', 'multicast'),
  r4('255.255.255.255/32', 'broadcast'),
  r4('240.0.0.0/4', 'reserved'),
];

function classifyV4(n: number): AddressClass {
  return V4_RANGES.find((r) => cidrContainsIp(r.cidr, n))?.cls ?? 'public';
}

/** Parse an IPv6 address (with optional zone id and dotted IPv4 tail) into 8 16-bit groups. */
function v6(text: string): number[] | undefined {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    // a dotted IPv4 tail stands for the last two groups
    const n = parseIpv4(last);
    if (n === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string | undefined): number[] | undefined => {
    if (h === undefined || h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - rest.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...rest];
}

function classifyV6(g: number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = (hi: number, lo: number): AddressClass => classifyV4(((hi << 16) >>> 0) + lo);
  const zeroTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  // fd00:ec2::254 — the AWS IMDS IPv6 address.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return 'metadata';
  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g7 === 1) return 'loopback';
  if (zeroTo(5) && g5 === 0xffff) return embedded(g6, g7); // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeroTo(6)) return embedded(g6, g7); // ::a.b.c.d (IPv4-compatible, deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7); // NAT64
  if (g0 === 0x2002) return embedded(g1, g2); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return 'multicast'; // ff00::/8
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only 100::/64
  return 'public';
}

/** The class of an IP address (text as dns.lookup returns it, or an IPv6 literal without brackets). */
export function classifyAddress(address: string): AddressClass {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(a.split('%')[0] ?? '');
  if (family === 4) {
    const n = parseIpv4(a);
    return n === undefined ? 'invalid' : classifyV4(n);
  }
  if (family === 6) {
    const groups = v6(a);
    return groups ? classifyV6(groups) : 'invalid';
  }
  return 'invalid';
}

/**
 * Whether a webhook may connect to this address. `allowPrivate` (tests, the demo) opens loopback, private,
 * link-local, CGNAT and the rest; cloud metadata services stay closed always: a webhook URL that reaches them
 * could read instance credentials, and no legitimate receiver lives there.
 */
export function isAddressAllowed(address: string, allowPrivate: boolean): { allowed: boolean; cls: AddressClass } {
  const cls = classifyAddress(address);
  if (cls === 'public') return { allowed: true, cls };
  if (cls === 'metadata' || cls === 'invalid') return { allowed: false, cls };
  return { allowed: allowPrivate, cls };
}
