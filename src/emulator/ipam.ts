/**
 * IP address management for the emulator's subnets: which CIDRs the VPC API accepts, which addresses a port may
 * take, and the allocation scan. The IPv4/CIDR arithmetic itself (parsing, containment, overlap, private ranges)
 * is src/lib/net.ts, shared with the workflow's checks.
 *
 * LIMITATIONS: no IPv6. The reserved set per subnet is UNVERIFIED (huawei-cloud-api.md §3.5: the docs disagree,
 * 4 vs 5 addresses), so it is configurable: the network address, the gateway, and the last
 * limits.reserved_tail_ips addresses (broadcast included). The default 3 (broadcast, DHCP, system interface) is
 * the same set as lib/net.ts reservedAddresses, which the workflow checks fixed IPs against; a smaller tail makes
 * the emulator accept addresses the workflow still refuses, never the other way round.
 */
import { isAligned, parseCidr, type Cidr } from '../lib/net.js';

/** A CIDR as the VPC API takes it: well-formed and aligned (no host bits set, `10.0.0.0/16` not `10.0.0.5/16`). */
export function parseNetwork(value: unknown): Cidr | undefined {
  const cidr = parseCidr(value);
  return cidr && isAligned(cidr) ? cidr : undefined;
}

/** The addresses no port of the subnet may take: network, gateway and the last `tail` (1..4, broadcast included). */
export function reservedSet(c: Cidr, gateway: number, tail: number): Set<number> {
  const reserved = new Set<number>([c.network, gateway]);
  for (let k = 0; k < tail && c.broadcast - k > c.network; k++) reserved.add(c.broadcast - k);
  return reserved;
}

/** How many addresses of the subnet ports could ever take. */
export function usableCount(c: Cidr, gateway: number, tail: number): number {
  return Math.max(0, c.size - reservedSet(c, gateway, tail).size);
}

/** Free addresses: usable ones not taken (a taken address that became reserved since is not double-counted). */
export function freeCount(c: Cidr, gateway: number, tail: number, taken: ReadonlySet<number>): number {
  const reserved = reservedSet(c, gateway, tail);
  let takenReserved = 0;
  for (const ip of reserved) if (taken.has(ip)) takenReserved++;
  return Math.max(0, c.size - reserved.size - (taken.size - takenReserved));
}

/**
 * The first free, non-reserved address at or after `hint` (wrapping once), or undefined when the subnet is full.
 * `taken` holds the allocated addresses.
 */
export function allocate(c: Cidr, gateway: number, tail: number, taken: ReadonlySet<number>, hint: number): number | undefined {
  const reserved = reservedSet(c, gateway, tail);
  const first = c.network + 1;
  const last = c.broadcast - tail;
  if (last < first) return undefined;
  const start = hint >= first && hint <= last ? hint : first;
  const free = (ip: number): boolean => !reserved.has(ip) && !taken.has(ip);
  for (let ip = start; ip <= last; ip++) if (free(ip)) return ip;
  for (let ip = first; ip < start; ip++) if (free(ip)) return ip;
  return undefined;
}
