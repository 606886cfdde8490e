/**
 * VPC v1 ports: CreatePort (201), ShowPort, ListPorts, DeletePort (204) (huawei-cloud-api.md §3.7–3.10).
 *
 * LIMITATIONS
 * - See port-model.ts (one IPv4 per port, derived status, security groups not modelled). No UpdatePort.
 * - A fresh port is DOWN with device_id "" and device_owner "" (or neutron:VIP_PORT when asked); it becomes
 *   ACTIVE with device_id = server and device_owner compute:{az} when an ECS attach job completes.
 * - CreatePort in a subnet that is not ACTIVE yet → 500 VPC.0205 (retryable; limits.port_requires_subnet_active).
 * - Quota: limits.port_quota → 409 VPC.0114 "Quota exceeded for resources: ['port']" (code UNVERIFIED). Ports
 *   count whoever made them (CreatePort, or ECS for a subnet_id NIC), except servers' primary NICs made by the
 *   control API. A port that ECS creates when a job completes is not refused for the quota.
 * - UNVERIFIED choices: unknown port → 404 VPC.2501; unknown network_id → 404 VPC.0202; subnet with no free
 *   address → 409 VPC.0702; DeletePort of an attached port (or one an ECS job is attaching) → 409 VPC.2511;
 *   bad field / fixed IP not in the subnet / reserved IP / bad limit or marker → 400 VPC.2500. A fixed IP in use
 *   → 409 VPC.0701 (documented).
 * - ListPorts filters: name, id (repeatable), network_id, device_id, device_owner, status, mac_address,
 *   admin_state_up, security_groups (repeatable, all must match), fixed_ips (repeatable `ip_address=` /
 *   `subnet_id=`; OR within a kind, AND across kinds, as Neutron). enterprise_project_id and enable_efi are ignored.
 */
import { vpcError } from '../errors.js';
import { formatIpv4 } from '../../lib/net.js';
import { subnetStatus } from '../lifecycle.js';
import type { PortModel } from '../models.js';
import { paginate, queryAll, queryOne } from '../query.js';
import type { OpRequest, RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { isObject, isString, isStringArray, optional } from '../validate.js';
import { allocateIp, insertPort, portStatus, portView, removePort } from './port-model.js';
import { findSubnet } from './subnets.js';

const invalid = (message: string) => vpcError(400, 'VPC.2500', message);

export function findPort(ctx: EmulatorContext, id: string): PortModel {
  const p = ctx.store.ports.get(id);
  if (!p) throw vpcError(404, 'VPC.2501', `Port ${id} does not exist.`);
  return p;
}

/** True while an unfinished ECS job is attaching this port. */
export function portBeingAttached(ctx: EmulatorContext, portId: string): boolean {
  return ctx.store.pendingJobs.some((j) => j.kind === 'attach' && j.subs.some((s) => s.portId === portId));
}

function checkPairs(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every(
      (a) =>
        isObject(a) &&
        typeof a.ip_address === 'string' &&
        a.ip_address !== '' &&
        a.ip_address !== '0.0.0.0/0' &&
        optional(a.mac_address, isString),
    )
  );
}

function createPort(ctx: EmulatorContext, req: OpRequest): unknown {
  const body = req.body;
  if (!isObject(body) || !isObject(body.port)) throw invalid('Request body must have a "port" object.');
  const o = body.port;
  if (typeof o.network_id !== 'string' || o.network_id === '') throw invalid('network_id is required.');
  if (!optional(o.name, (v) => isString(v) && v.length <= 255)) throw invalid('Invalid name: at most 255 characters.');
  if (!optional(o.security_groups, isStringArray)) throw invalid('Invalid security_groups: a list of security group ids.');
  if (!optional(o.admin_state_up, (v) => v === true)) throw invalid('admin_state_up only supports true.');
  if (!optional(o.device_owner, (v) => v === '' || v === 'neutron:VIP_PORT')) throw invalid('Invalid device_owner.');
  if (!optional(o.allowed_address_pairs, checkPairs)) throw invalid('Invalid allowed_address_pairs.');
  if (!optional(o.extra_dhcp_opts, (v) => Array.isArray(v) && v.every(isObject))) throw invalid('Invalid extra_dhcp_opts.');
  const fixed = o.fixed_ips;
  if (!optional(fixed, (v) => Array.isArray(v) && v.length <= 1 && v.every(isObject))) {
    throw invalid('Invalid fixed_ips: at most one entry {ip_address?, subnet_id?}.');
  }
  const entry = (fixed as Array<Record<string, unknown>> | undefined)?.[0];
  if (entry && (!optional(entry.ip_address, isString) || !optional(entry.subnet_id, isString))) throw invalid('Invalid fixed_ips entry.');

  const subnet = findSubnet(ctx, o.network_id);
  if (entry?.subnet_id !== undefined && entry.subnet_id !== subnet.f.neutronSubnetId) {
    throw invalid(`fixed_ips.subnet_id ${String(entry.subnet_id)} is not the neutron subnet of network ${subnet.f.id}.`);
  }
  if (ctx.settings.limits.port_requires_subnet_active && subnetStatus(subnet, ctx.clock.now()) !== 'ACTIVE') {
    throw vpcError(500, 'VPC.0205', 'Subnet status is invalid, please try later.');
  }
  if (ctx.store.quotaUsed('ports') >= ctx.settings.limits.port_quota) {
    throw vpcError(409, 'VPC.0114', "Quota exceeded for resources: ['port'].");
  }
  const requested = entry?.ip_address as string | undefined;
  const ip = allocateIp(ctx, subnet, requested);
  switch (ip) {
    case 'invalid':
      throw invalid(`Invalid ip_address: ${requested ?? ''}.`);
    case 'not_in_subnet':
      throw invalid(`IP address ${requested ?? ''} is not in subnet ${subnet.f.cidr}.`);
    case 'reserved':
      throw invalid(`IP address ${requested ?? ''} is reserved in subnet ${subnet.f.cidr}.`);
    case 'in_use':
      throw vpcError(409, 'VPC.0701', `IP address ${requested ?? ''} is in use.`);
    case 'exhausted':
      throw vpcError(409, 'VPC.0702', `No more IP addresses available on subnet ${subnet.f.id}.`);
  }
  const port = insertPort(ctx, subnet, ip, {
    name: (o.name as string | undefined) ?? '',
    ...(o.security_groups === undefined ? {} : { securityGroups: o.security_groups as string[] }),
    allowedAddressPairs: (o.allowed_address_pairs as PortModel['f']['allowedAddressPairs'] | undefined) ?? [],
    extraDhcpOpts: (o.extra_dhcp_opts as PortModel['f']['extraDhcpOpts'] | undefined) ?? [],
    deviceOwner: (o.device_owner as string | undefined) ?? '',
  });
  return { port: portView(ctx, port) };
}

function fixedIpMatcher(values: string[]): (p: PortModel) => boolean {
  const ips = new Set<string>();
  const subnets = new Set<string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = v.slice(0, eq);
    const value = v.slice(eq + 1);
    if (eq < 0 || value === '') throw invalid(`Invalid fixed_ips filter: ${v}`);
    if (key === 'ip_address') ips.add(value);
    else if (key === 'subnet_id') subnets.add(value);
    else throw invalid(`Invalid fixed_ips filter: ${v}`);
  }
  return (p) => (ips.size === 0 || ips.has(formatIpv4(p.f.ip))) && (subnets.size === 0 || subnets.has(p.f.neutronSubnetId));
}

function listPorts(ctx: EmulatorContext, req: OpRequest): unknown {
  const q = req.query;
  const name = queryOne(q, 'name');
  const ids = queryAll(q, 'id');
  const networkId = queryOne(q, 'network_id');
  const deviceId = queryOne(q, 'device_id');
  const deviceOwner = queryOne(q, 'device_owner');
  const status = queryOne(q, 'status');
  const mac = queryOne(q, 'mac_address');
  const adminUp = queryOne(q, 'admin_state_up');
  const groups = queryAll(q, 'security_groups');
  const fixedIps = queryAll(q, 'fixed_ips');
  const fixedOk = fixedIps.length > 0 ? fixedIpMatcher(fixedIps) : undefined;
  const match = (p: PortModel): boolean =>
    (name === undefined || p.f.name === name) &&
    (ids.length === 0 || ids.includes(p.f.id)) &&
    (networkId === undefined || p.f.networkId === networkId) &&
    (deviceId === undefined || p.f.deviceId === deviceId) &&
    (deviceOwner === undefined || p.f.deviceOwner === deviceOwner) &&
    (mac === undefined || p.f.mac === mac) &&
    (adminUp === undefined || adminUp === 'true') &&
    groups.every((g) => p.f.securityGroups.includes(g)) &&
    (fixedOk === undefined || fixedOk(p)) &&
    (status === undefined || portStatus(ctx, p) === status);
  const page = paginate(ctx.store.ports.values(), q, {
    idOf: (p) => p.f.id,
    match,
    invalid,
    defaultLimit: ctx.settings.limits.default_page_size,
  });
  return { ports: page.map((p) => portView(ctx, p)) };
}

function deletePort(ctx: EmulatorContext, req: OpRequest): unknown {
  const port = findPort(ctx, req.params.port_id ?? '');
  const owner = port.f.deviceOwner;
  if (port.f.deviceId !== '' || (owner !== '' && owner !== 'neutron:VIP_PORT') || portBeingAttached(ctx, port.f.id)) {
    throw vpcError(409, 'VPC.2511', `Port ${port.f.id} is in use by device ${port.f.deviceId || '(attaching)'}; detach it first.`);
  }
  removePort(ctx, port);
  return undefined;
}

export const portRoutes: RouteDef[] = [
  { op: 'CreatePort', method: 'POST', path: 'ports', service: 'vpc', status: 201, bodyErrorCode: 'VPC.2500', handler: createPort },
  { op: 'ListPorts', method: 'GET', path: 'ports', service: 'vpc', status: 200, handler: listPorts },
  {
    op: 'ShowPort',
    method: 'GET',
    path: 'ports/{port_id}',
    service: 'vpc',
    status: 200,
    handler: (ctx, req) => ({ port: portView(ctx, findPort(ctx, req.params.port_id ?? '')) }),
  },
  { op: 'DeletePort', method: 'DELETE', path: 'ports/{port_id}', service: 'vpc', status: 204, handler: deletePort },
];
