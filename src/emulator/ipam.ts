/**
 * IP address management for the emulator's subnets: which CIDRs the VPC API accepts, which addresses a port may
 * take, and the allocation scan. The IPv4/CIDR arithmetic itself (parsing, containment, overlap, private ranges,
 * the reserved set) is src/lib/net.ts, shared with the workflow's checks so both sides agree.
 *
 * LIMITATIONS: no IPv6. The reserved set per subnet is the emulator's choice because the docs disagree
 * (huawei-cloud-api.md §3.5, UNVERIFIED): network, gateway, broadcast, broadcast-1 and broadcast-2
 * (lib/net.ts reservedAddresses).
 */
import { isAligned, parseCidr, reservedAddresses, type Cidr } from '../lib/net.js';

/** A CIDR as the VPC API takes it: well-formed and aligned (no host bits set, `10.0.0.0/16` not `10.0.0.5/16`). */
export function parseNetwork(value: unknown): Cidr | undefined {
  const cidr = parseCidr(value);
  return cidr && isAligned(cidr) ? cidr : undefined;
}

/** How many addresses of the subnet ports could ever take. */
export function usableCount(c: Cidr, gateway: number): number {
  return Math.max(0, c.size - reservedAddresses(c, gateway).size);
}

/**
 * The first free, non-reserved address at or after `hint` (wrapping once), or undefined when the subnet is full.
 * `taken` holds the allocated addresses.
 */
export function allocate(c: Cidr, gateway: number, taken: ReadonlySet<number>, hint: number): number | undefined {
  const reserved = reservedAddresses(c, gateway);
  const first = c.network + 1;
  const last = c.broadcast - 3;
  if (last < first) return undefined;
  const start = hint >= first && hint <= last ? hint : first;
  const free = (ip: number): boolean => !reserved.has(ip) && !taken.has(ip);
  for (let ip = start; ip <= last; ip++) if (free(ip)) return ip;
  for (let ip = first; ip < start; ip++) if (free(ip)) return ip;
  return undefined;
}
