/**
 * VPC v1 subnets: CreateSubnet, ShowSubnet, ListSubnets, DeleteSubnet (huawei-cloud-api.md §3.5–3.6).
 * A subnet's `id` is also its `neutron_network_id`; `neutron_subnet_id` is a separate id (§1.2).
 *
 * LIMITATIONS
 * - IPv4 only: ipv6_enable is stored and echoed but no IPv6 CIDR is assigned. DHCP options, DNS and tags are
 *   validated and echoed, never acted on. Subnets never go to ERROR.
 * - UNKNOWN → ACTIVE after timings.subnet_ready_ms on the injected clock.
 * - CreateSubnet in a VPC that is not OK yet → 400 VPC.0004 (limits.subnet_requires_vpc_ok, default true).
 *   A VPC created without a cidr accepts any private subnet CIDR.
 * - Reserved addresses: network, gateway and the last limits.reserved_tail_ips (default 3: broadcast, broadcast-1,
 *   broadcast-2) — an UNVERIFIED set, see ipam.ts.
 * - Quota: limits.subnet_quota → 409 VPC.0114 "Quota exceeded for resources: ['subnet']" (code UNVERIFIED).
 *   Subnets made by the control API (a server's subnet) are exempt and do not count.
 * - CIDR codes: malformed, not aligned or prefix outside 8..28 → 400 VPC.0212 "invalid subnet CIDR"; well-formed
 *   but not inside the VPC's CIDR — a public range in a private VPC included — → 400 VPC.0203 (the more specific
 *   documented code); outside the private ranges in a VPC without a CIDR → 400 VPC.0212.
 * - UNVERIFIED choices: unknown subnet → 404 VPC.0202; DeleteSubnet while ports use it → 409 VPC.0208 (the OTC
 *   table lists 500 for VPC.0208; 409 keeps "in use" a conflict, not a server fault); bad limit/marker or an
 *   invalid field → 400 VPC.0201; invalid CIDR → 400 VPC.0212; availability_zone not in
 *   limits.availability_zones → 400 VPC.0201.
 */
import type { Subnet } from '../../cloud/types.js';
import { vpcError } from '../errors.js';
import { cidrContains, cidrContainsIp, cidrOverlaps, firstHost, isIpv4, isPrivateCidr, parseIpv4, type Cidr } from '../../lib/net.js';
import { freeCount, parseNetwork, reservedSet } from '../ipam.js';
import { subnetStatus, vpcStatus, vpcTime } from '../lifecycle.js';
import { SubnetModel, type VpcModel } from '../models.js';
import { paginate, queryOne } from '../query.js';
import type { OpRequest, RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { checkDescription, checkName, checkTags, isBoolean, isObject, isStringArray, optional } from '../validate.js';
import { findVpc } from './vpcs.js';

export function subnetView(ctx: EmulatorContext, s: SubnetModel): Subnet {
  const f = s.f;
  const status = subnetStatus(s, ctx.clock.now());
  return {
    id: f.id,
    name: f.name,
    description: f.description,
    cidr: f.cidr,
    gateway_ip: f.gatewayIp,
    ipv6_enable: f.ipv6Enable,
    dhcp_enable: f.dhcpEnable,
    primary_dns: f.primaryDns,
    secondary_dns: f.secondaryDns,
    dnsList: [...f.dnsList],
    availability_zone: f.availabilityZone,
    vpc_id: f.vpcId,
    status,
    neutron_network_id: f.id,
    neutron_subnet_id: f.neutronSubnetId,
    extra_dhcp_opts: f.extraDhcpOpts.map((o) => ({ ...o })),
    scope: 'center',
    tenant_id: ctx.projectId,
    created_at: vpcTime(f.createdAt),
    updated_at: vpcTime(status === 'ACTIVE' ? f.readyAt : f.createdAt),
    enable_network_address_usage_metrics: false,
    available_ip_address_count: freeCount(f.net, f.gateway, ctx.settings.limits.reserved_tail_ips, s.taken),
  };
}

const invalid = (message: string) => vpcError(400, 'VPC.0201', message);

export function findSubnet(ctx: EmulatorContext, id: string): SubnetModel {
  const s = ctx.store.subnets.get(id);
  if (!s) throw vpcError(404, 'VPC.0202', 'Subnet does not exist.');
  return s;
}

/** Insert a subnet (validation and quota done by the caller). */
export function insertSubnet(
  ctx: EmulatorContext,
  o: { vpc: VpcModel; name: string; net: Cidr; cidr: string; gatewayIp: string; readyAt?: number } & Partial<
    Pick<SubnetModel['f'], 'description' | 'dhcpEnable' | 'ipv6Enable' | 'primaryDns' | 'secondaryDns' | 'dnsList' | 'availabilityZone' | 'extraDhcpOpts' | 'tags'>
  >,
): SubnetModel {
  const now = ctx.clock.now();
  const id = ctx.ids.uuid();
  const s = new SubnetModel({
    id,
    neutronSubnetId: ctx.ids.uuid(),
    name: o.name,
    description: o.description ?? '',
    cidr: o.cidr,
    net: o.net,
    gatewayIp: o.gatewayIp,
    gateway: parseIpv4(o.gatewayIp) ?? firstHost(o.net),
    vpcId: o.vpc.id,
    dhcpEnable: o.dhcpEnable ?? true,
    ipv6Enable: o.ipv6Enable ?? false,
    primaryDns: o.primaryDns ?? '',
    secondaryDns: o.secondaryDns ?? '',
    dnsList: o.dnsList ?? [o.primaryDns, o.secondaryDns].filter((d): d is string => !!d),
    availabilityZone: o.availabilityZone ?? '',
    extraDhcpOpts: o.extraDhcpOpts ?? [],
    tags: o.tags ?? [],
    createdAt: o.readyAt ?? now,
    readyAt: o.readyAt ?? now + ctx.settings.timings.subnet_ready_ms,
  });
  ctx.store.subnets.set(id, s);
  return s;
}

function checkExtraDhcpOpts(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every(
      (o) =>
        isObject(o) &&
        (o.opt_name === 'ntp' || o.opt_name === 'addresstime') &&
        (o.opt_value === undefined || typeof o.opt_value === 'string'),
    )
  );
}

function createSubnet(ctx: EmulatorContext, req: OpRequest): unknown {
  const body = req.body;
  if (!isObject(body) || !isObject(body.subnet)) throw invalid('Request body must have a "subnet" object.');
  const o = body.subnet;
  if (!checkName(o.name, 1, 64)) throw invalid('Invalid name: 1-64 letters, digits, "_", "-" or ".".');
  if (typeof o.vpc_id !== 'string' || o.vpc_id === '') throw invalid('vpc_id is required.');
  const net = parseNetwork(o.cidr);
  if (!net || net.prefix > 28 || net.prefix < 8) {
    throw vpcError(400, 'VPC.0212', `Invalid subnet cidr: ${String(o.cidr)} (private IPv4 CIDR, prefix <= 28).`);
  }
  const gateway = parseIpv4(o.gateway_ip);
  if (gateway === undefined || !cidrContainsIp(net, gateway) || gateway === net.network || gateway === net.broadcast) {
    throw invalid(`Invalid gateway_ip: ${String(o.gateway_ip)} (must be a host address inside ${String(o.cidr)}).`);
  }
  if (!optional(o.description, checkDescription)) throw invalid('Invalid description.');
  for (const key of ['dhcp_enable', 'ipv6_enable'] as const) {
    if (!optional(o[key], isBoolean)) throw invalid(`Invalid ${key}: must be a boolean.`);
  }
  for (const key of ['primary_dns', 'secondary_dns'] as const) {
    if (!optional(o[key], (v) => v === '' || isIpv4(v))) throw invalid(`Invalid ${key}: must be an IPv4 address.`);
  }
  if (!optional(o.dnsList, (v) => isStringArray(v) && v.every(isIpv4))) throw invalid('Invalid dnsList: IPv4 addresses only.');
  const zones = ctx.settings.limits.availability_zones;
  if (!optional(o.availability_zone, (v) => typeof v === 'string' && zones.includes(v))) {
    throw invalid(`Invalid availability_zone: ${String(o.availability_zone)}.`);
  }
  if (!optional(o.extra_dhcp_opts, checkExtraDhcpOpts)) throw invalid('Invalid extra_dhcp_opts: opt_name must be ntp or addresstime.');
  if (!optional(o.tags, checkTags)) throw invalid('Invalid tags.');

  const vpc = findVpc(ctx, o.vpc_id);
  if (ctx.settings.limits.subnet_requires_vpc_ok && vpcStatus(vpc, ctx.clock.now()) !== 'OK') {
    throw vpcError(400, 'VPC.0004', 'VPC is not active, please try later.');
  }
  // Containment before privacy: a public CIDR in a private VPC is first of all outside the VPC (VPC.0203).
  if (vpc.net && !cidrContains(vpc.net, net)) throw vpcError(400, 'VPC.0203', `Subnet CIDR ${String(o.cidr)} is not within the VPC CIDR ${vpc.cidr}.`);
  if (!isPrivateCidr(net)) throw vpcError(400, 'VPC.0212', `Invalid subnet cidr: ${String(o.cidr)} (must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16).`);
  for (const other of ctx.store.subnets.values()) {
    if (other.f.vpcId === vpc.id && cidrOverlaps(other.f.net, net)) {
      throw vpcError(400, 'VPC.0204', `Subnet CIDR conflicts with subnet ${other.f.id} (${other.f.cidr}).`);
    }
  }
  if (ctx.store.quotaUsed('subnets') >= ctx.settings.limits.subnet_quota) {
    throw vpcError(409, 'VPC.0114', "Quota exceeded for resources: ['subnet'].");
  }
  const s = insertSubnet(ctx, {
    vpc,
    name: o.name as string,
    net,
    cidr: o.cidr as string,
    gatewayIp: o.gateway_ip as string,
    description: o.description as string | undefined,
    dhcpEnable: o.dhcp_enable as boolean | undefined,
    ipv6Enable: o.ipv6_enable as boolean | undefined,
    primaryDns: o.primary_dns as string | undefined,
    secondaryDns: o.secondary_dns as string | undefined,
    dnsList: o.dnsList as string[] | undefined,
    availabilityZone: o.availability_zone as string | undefined,
    extraDhcpOpts: o.extra_dhcp_opts as SubnetModel['f']['extraDhcpOpts'] | undefined,
    tags: o.tags as string[] | undefined,
  });
  return { subnet: subnetView(ctx, s) };
}

function listSubnets(ctx: EmulatorContext, req: OpRequest): unknown {
  const vpcId = queryOne(req.query, 'vpc_id');
  const page = paginate(ctx.store.subnets.values(), req.query, {
    idOf: (s) => s.f.id,
    match: (s) => vpcId === undefined || s.f.vpcId === vpcId,
    invalid,
    defaultLimit: ctx.settings.limits.default_page_size,
  });
  return { subnets: page.map((s) => subnetView(ctx, s)) };
}

function deleteSubnet(ctx: EmulatorContext, req: OpRequest): unknown {
  const vpc = findVpc(ctx, req.params.vpc_id ?? '');
  const s = findSubnet(ctx, req.params.subnet_id ?? '');
  if (s.f.vpcId !== vpc.id) throw vpcError(400, 'VPC.0207', 'The subnet does not belong to the VPC.');
  if (s.taken.size > 0) throw vpcError(409, 'VPC.0208', 'The subnet has private IP addresses in use.');
  ctx.store.forget('subnets', s.f.id);
  return undefined;
}

/** True when `ip` may not be given to a port of this subnet. */
export function reservedIn(ctx: EmulatorContext, s: SubnetModel, ip: number): boolean {
  return reservedSet(s.f.net, s.f.gateway, ctx.settings.limits.reserved_tail_ips).has(ip);
}

export const subnetRoutes: RouteDef[] = [
  { op: 'CreateSubnet', method: 'POST', path: 'subnets', service: 'vpc', status: 200, bodyErrorCode: 'VPC.0201', handler: createSubnet },
  { op: 'ListSubnets', method: 'GET', path: 'subnets', service: 'vpc', status: 200, handler: listSubnets },
  {
    op: 'ShowSubnet',
    method: 'GET',
    path: 'subnets/{subnet_id}',
    service: 'vpc',
    status: 200,
    handler: (ctx, req) => ({ subnet: subnetView(ctx, findSubnet(ctx, req.params.subnet_id ?? '')) }),
  },
  { op: 'DeleteSubnet', method: 'DELETE', path: 'vpcs/{vpc_id}/subnets/{subnet_id}', service: 'vpc', status: 204, handler: deleteSubnet },
];
