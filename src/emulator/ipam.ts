/**
 * IPv4 and CIDR arithmetic for the emulator's VPC rules and IP allocation (IPv4 only; addresses as uint32).
 *
 * LIMITATIONS: no IPv6. The reserved set per subnet is the emulator's choice because the docs disagree
 * (huawei-cloud-api.md §3.5, UNVERIFIED): network, gateway, broadcast, broadcast-1 and broadcast-2.
 */

export interface Cidr {
  /** Network address. */
  base: number;
  prefix: number;
  /** Number of addresses (2^(32-prefix)). */
  size: number;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Dotted-quad IPv4 (no leading zeros) → uint32, or undefined. */
export function parseIpv4(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = IPV4_RE.exec(value);
  if (!m) return undefined;
  return ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** `a.b.c.d/p` with the host bits zero → Cidr, or undefined (also for a misaligned base). */
export function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const base = parseIpv4(value.slice(0, slash));
  const prefixText = value.slice(slash + 1);
  if (base === undefined || !/^(\d|[12]\d|3[0-2])$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

export function broadcast(c: Cidr): number {
  return c.base + c.size - 1;
}

export function ipInCidr(ip: number, c: Cidr): boolean {
  return ip >= c.base && ip <= broadcast(c);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && broadcast(inner) <= broadcast(outer);
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= broadcast(b) && b.base <= broadcast(a);
}

const PRIVATE_RANGES: readonly Cidr[] = [
  { base: 0x0a000000, prefix: 8, size: 2 ** 24 },
  { base: 0xac100000, prefix: 12, size: 2 ** 20 },
  { base: 0xc0a80000, prefix: 16, size: 2 ** 16 },
];

/** Inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (a CIDR may be the whole range). */
export function isPrivateCidr(c: Cidr): boolean {
  return PRIVATE_RANGES.some((r) => cidrContains(r, c));
}

/** Addresses no port may take: network, gateway, broadcast, broadcast-1, broadcast-2. */
export function isReserved(ip: number, c: Cidr, gateway: number): boolean {
  const b = broadcast(c);
  return ip === c.base || ip === gateway || ip === b || ip === b - 1 || ip === b - 2;
}

/** How many addresses of the subnet ports could ever take. */
export function usableCount(c: Cidr, gateway: number): number {
  const b = broadcast(c);
  const reserved = new Set([c.base, gateway, b, b - 1, b - 2]);
  return Math.max(0, c.size - reserved.size);
}

/**
 * The first free, non-reserved address at or after `hint` (wrapping once), or undefined when the subnet is full.
 * `taken` holds the allocated addresses.
 */
export function allocate(c: Cidr, gateway: number, taken: ReadonlySet<number>, hint: number): number | undefined {
  const first = c.base + 1;
  const last = broadcast(c) - 3;
  if (last < first) return undefined;
  const start = hint >= first && hint <= last ? hint : first;
  for (let ip = start; ip <= last; ip++) if (ip !== gateway && !taken.has(ip)) return ip;
  for (let ip = first; ip < start; ip++) if (ip !== gateway && !taken.has(ip)) return ip;
  return undefined;
}
