/**
 * Ports as the VPC API shows them, plus the IP allocation and insert/remove helpers shared by CreatePort,
 * ECS NIC creation (BatchAddServerNics by subnet_id) and the control API's primary NICs.
 *
 * LIMITATIONS
 * - One IPv4 fixed IP per port; no IPv6, no secondary IPs, no virtual IPs. Security groups are ids only
 *   (not modelled: any id is accepted; the default is one "default" group per emulator).
 * - Status is derived: ACTIVE when attached to an ACTIVE server; attached to a SHUTOFF server →
 *   limits.port_status_on_shutoff (default DOWN, Neutron-like; UNVERIFIED); otherwise DOWN. No BUILD phase.
 */
import type { Port } from '../../cloud/types.js';
import { cidrContainsIp, formatIpv4, parseIpv4 } from '../../lib/net.js';
import { allocate } from '../ipam.js';
import { PortModel, type PortFields, type SubnetModel } from '../models.js';
import type { EmulatorContext } from '../store.js';
import { reservedIn } from './subnets.js';

export function portStatus(ctx: EmulatorContext, p: PortModel): 'ACTIVE' | 'DOWN' {
  if (p.f.deviceId === '') return 'DOWN';
  const server = ctx.store.servers.get(p.f.deviceId);
  if (!server) return 'DOWN';
  if (server.status === 'ACTIVE') return 'ACTIVE';
  if (server.status === 'SHUTOFF') return ctx.settings.limits.port_status_on_shutoff;
  return 'DOWN';
}

export function portView(ctx: EmulatorContext, p: PortModel): Port {
  const f = p.f;
  const ip = formatIpv4(f.ip);
  const hostname = `ip-${ip.replace(/\./g, '-')}`;
  return {
    id: f.id,
    name: f.name,
    network_id: f.networkId,
    tenant_id: ctx.projectId,
    admin_state_up: true,
    mac_address: f.mac,
    fixed_ips: [{ ip_address: ip, subnet_id: f.neutronSubnetId }],
    device_id: f.deviceId,
    device_owner: f.deviceOwner,
    status: portStatus(ctx, p),
    security_groups: [...f.securityGroups],
    allowed_address_pairs: f.allowedAddressPairs.map((a) => ({ ...a })),
    extra_dhcp_opts: f.extraDhcpOpts.map((o) => ({ ...o })),
    'binding:vnic_type': 'normal',
    'binding:vif_details': { primary_interface: f.primary, port_filter: true, ovs_hybrid_plug: false },
    'binding:profile': {},
    dns_assignment: [{ hostname, ip_address: ip, fqdn: `${hostname}.${ctx.region}.compute.internal.` }],
    dns_name: '',
    instance_id: '',
    instance_type: '',
    port_security_enabled: true,
    zone_id: f.zoneId,
    enable_efi: false,
  };
}

export type AllocationFailure = 'invalid' | 'not_in_subnet' | 'reserved' | 'in_use' | 'exhausted';

/** The address for a new port of `s`: the requested one if free, else the next free one. */
export function allocateIp(ctx: EmulatorContext, s: SubnetModel, requested: string | undefined): number | AllocationFailure {
  if (requested !== undefined) {
    const ip = parseIpv4(requested);
    if (ip === undefined) return 'invalid';
    if (!cidrContainsIp(s.f.net, ip)) return 'not_in_subnet';
    if (reservedIn(ctx, s, ip)) return 'reserved';
    if (s.taken.has(ip)) return 'in_use';
    return ip;
  }
  const ip = allocate(s.f.net, s.f.gateway, ctx.settings.limits.reserved_tail_ips, s.taken, s.hint);
  return ip ?? 'exhausted';
}

/** Insert a port with an address already allocated (by allocateIp) in `s`. */
export function insertPort(
  ctx: EmulatorContext,
  s: SubnetModel,
  ip: number,
  o: Partial<Omit<PortFields, 'networkId' | 'neutronSubnetId' | 'ip' | 'mac' | 'createdAt'>>,
): PortModel {
  const p = new PortModel({
    id: o.id ?? ctx.ids.uuid(),
    name: o.name ?? '',
    networkId: s.f.id,
    neutronSubnetId: s.f.neutronSubnetId,
    ip,
    mac: ctx.store.nextMac(),
    securityGroups: o.securityGroups ?? [ctx.defaultSecurityGroupId],
    allowedAddressPairs: o.allowedAddressPairs ?? [],
    extraDhcpOpts: o.extraDhcpOpts ?? [],
    deviceOwner: o.deviceOwner ?? '',
    deviceId: o.deviceId ?? '',
    zoneId: o.zoneId ?? (s.f.availabilityZone || (ctx.settings.limits.availability_zones[0] ?? '')),
    ecsCreated: o.ecsCreated ?? false,
    primary: o.primary ?? false,
    createdAt: ctx.clock.now(),
  });
  s.taken.add(ip);
  s.hint = ip + 1;
  ctx.store.ports.set(p.f.id, p);
  return p;
}

/** Remove a port and free its address. */
export function removePort(ctx: EmulatorContext, p: PortModel): void {
  ctx.store.forget('ports', p.f.id);
  ctx.store.subnets.get(p.f.networkId)?.taken.delete(p.f.ip);
}
