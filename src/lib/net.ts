/**
 * IPv4 and CIDR helpers (pure, no I/O). Addresses are unsigned 32-bit numbers so that ranges compare as numbers.
 * Parsing is strict on purpose: the cloud rejects what these reject, and `010.0.0.1` (leading zero, octal in
 * some parsers) is refused rather than guessed at.
 */

export interface Cidr {
  /** The address as written (may have host bits set: see `isAligned`). */
  address: number;
  prefix: number;
  /** First address of the block (address with the host bits cleared). */
  network: number;
  /** Last address of the block. */
  broadcast: number;
  /** Number of addresses in the block. */
  size: number;
}

const OCTET_RE = /^(0|[1-9][0-9]{0,2})$/;

/** Parse a dotted-quad IPv4 address; undefined when it is not one (or not a string: request bodies are unknown). */
export function parseIpv4(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET_RE.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function isIpv4(text: unknown): boolean {
  return parseIpv4(text) !== undefined;
}

export function formatIpv4(value: number): string {
  const v = value >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** The netmask of a prefix length as an unsigned number (prefix 0 → 0). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The block of `prefix` bits around `address` (an unsigned IPv4 number; prefix 0..32, not checked). */
export function cidrFrom(address: number, prefix: number): Cidr {
  const network = (address & prefixMask(prefix)) >>> 0;
  const size = 2 ** (32 - prefix);
  return { address: address >>> 0, prefix, network, broadcast: network + size - 1, size };
}

/** Parse `a.b.c.d/n`; undefined when malformed (or not a string). Host bits may be set (check `isAligned`). */
export function parseCidr(text: unknown): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return cidrFrom(address, prefix);
}

/** Parse a CIDR written in the code (a constant); throws when it is malformed, which is a programming error. */
export function requireCidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`malformed CIDR constant ${JSON.stringify(text)}`);
  return parsed;
}

/** True when the address written is the network address (no host bits set): `10.0.0.0/16`, not `10.0.0.5/16`. */
export function isAligned(cidr: Cidr): boolean {
  return cidr.address === cidr.network;
}

export function formatCidr(cidr: Pick<Cidr, 'network' | 'prefix'>): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** Whether `ip` lies in the block. */
export function cidrContainsIp(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.network && ip <= cidr.broadcast;
}

/** Whether the whole block `inner` lies inside `outer` (a block contains itself). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.network >= outer.network && inner.broadcast <= outer.broadcast;
}

/** Whether two blocks share any address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/** The RFC 1918 ranges, the only ones a Huawei Cloud VPC may use (huawei-cloud-api.md §3.1). */
export const PRIVATE_RANGES: readonly Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(requireCidr);

/** Whether the block lies entirely inside one RFC 1918 range. */
export function isPrivateCidr(cidr: Cidr): boolean {
  return PRIVATE_RANGES.some((range) => cidrContains(range, cidr));
}

export function isPrivateIp(ip: number): boolean {
  return PRIVATE_RANGES.some((range) => cidrContainsIp(range, ip));
}

/** The first usable host: the network address + 1 (the cloud's default gateway). */
export function firstHost(cidr: Cidr): number {
  return cidr.network + 1;
}

/** The last usable host before the broadcast address. */
export function lastHost(cidr: Cidr): number {
  return cidr.broadcast - 1;
}

/**
 * Addresses a VPC subnet keeps for itself (huawei-cloud-api.md §3.5): the network address, the gateway, and the
 * last three (broadcast, DHCP, system interface). The documents disagree on 4 vs 5; this is the larger set, the
 * one the emulator models, so a fixed IP accepted here is never refused by the cloud for being reserved.
 */
export function reservedAddresses(cidr: Cidr, gateway: number = firstHost(cidr)): Set<number> {
  const reserved = new Set<number>([cidr.network, gateway, cidr.broadcast]);
  if (cidr.size >= 4) {
    reserved.add(cidr.broadcast - 1);
    reserved.add(cidr.broadcast - 2);
  }
  return reserved;
}
