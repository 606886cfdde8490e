/**
 * ECS NICs: BatchAddServerNics and BatchDeleteServerNics (huawei-cloud-api.md §4.1, §4.3). Both validate
 * synchronously, then accept an asynchronous job (200 `{job_id}`) whose effects happen when it completes.
 *
 * LIMITATIONS
 * - ipv6_enable / ipv6_bandwidth / efi_enable are validated and ignored. security_groups ([{id}] objects) apply
 *   only to subnet_id NICs; with port_id they are ignored, as is ip_address (port_id wins over subnet_id).
 * - Server state: limits.attach_allowed_states (default ACTIVE, SHUTOFF; UNVERIFIED) else 400 Ecs.0100; a locked
 *   server → 400 Ecs.0605; another job of the server still INIT/RUNNING → 501 Ecs.0603.
 * - NIC count: attached + requested > max_nics → Ecs.0050, as a synchronous 400 (limits.nic_limit_mode 'sync',
 *   default) or as a job FAIL ('job'); which one the cloud does is UNVERIFIED.
 * - Port or subnet outside the server's VPC → 400 limits.cross_vpc_code (default Ecs.0064; Ecs.0014 possible —
 *   UNVERIFIED). Port not DOWN / attached / being attached → 400 Ecs.0919.
 * - UNVERIFIED choices: unknown port_id → 400 Ecs.0005; more than limits.max_nics_per_request NICs (default 10)
 *   or a NIC listed twice → 400 Ecs.0005; deleting the primary NIC → 403 Ecs.0086; deleting a NIC the server
 *   does not have → 400 Ecs.0085. Sync IP checks for subnet_id NICs: not in subnet/reserved → 400 Ecs.0039,
 *   in use → 400 Ecs.0010, subnet full → 400 Ecs.0012, unknown subnet → 400 Ecs.0038.
 */
import { ecsError } from '../errors.js';
import { cidrContainsIp, parseIpv4 } from '../../lib/net.js';
import { allocate } from '../ipam.js';
import { jobBusy } from '../lifecycle.js';
import type { ServerModel, SubJobModel } from '../models.js';
import type { OpRequest, RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { isBoolean, isObject, isString, optional } from '../validate.js';
import { submitJob } from './jobs.js';
import { portStatus } from './port-model.js';
import { portBeingAttached } from './ports.js';
import { attachedPorts, findServer, maxNicsOf } from './servers.js';
import { reservedIn } from './subnets.js';

const bad = (message: string) => ecsError(400, 'Ecs.0005', message);

function nicList(ctx: EmulatorContext, body: unknown): Array<Record<string, unknown>> {
  if (!isObject(body) || !Array.isArray(body.nics) || body.nics.length === 0) throw bad('Request body must have a non-empty "nics" array.');
  if (body.nics.length > ctx.settings.limits.max_nics_per_request) {
    throw bad(`At most ${ctx.settings.limits.max_nics_per_request} NICs per request.`);
  }
  if (!body.nics.every(isObject)) throw bad('Every entry of "nics" must be an object.');
  return body.nics as Array<Record<string, unknown>>;
}

function checkServerReady(ctx: EmulatorContext, server: ServerModel): void {
  if (server.locked) throw ecsError(400, 'Ecs.0605', `The ECS ${server.id} is locked.`);
  if (!ctx.settings.limits.attach_allowed_states.includes(server.status)) {
    throw ecsError(400, 'Ecs.0100', `The ECS status ${server.status} does not meet requirements.`);
  }
  const active = server.activeJobId ? ctx.store.jobs.get(server.activeJobId) : undefined;
  if (active && jobBusy(active, ctx.clock.now())) {
    throw ecsError(501, 'Ecs.0603', 'Other commands are being executed on the ECS; try again later.');
  }
}

const checkGroups = (v: unknown): boolean => Array.isArray(v) && v.every((g) => isObject(g) && isString(g.id) && g.id !== '');

function validateNic(n: Record<string, unknown>): void {
  const portId = n.port_id;
  const subnetId = n.subnet_id;
  if (!optional(portId, isString) || !optional(subnetId, isString)) throw bad('port_id and subnet_id must be strings.');
  if (!portId && !subnetId) throw bad('Either port_id or subnet_id is required for each NIC.');
  if (!optional(n.security_groups, checkGroups)) throw bad('security_groups must be a list of {"id": "..."} objects.');
  if (!optional(n.ip_address, isString)) throw bad('ip_address must be a string.');
  if (!optional(n.ipv6_enable, isBoolean) || !optional(n.efi_enable, isBoolean)) throw bad('ipv6_enable/efi_enable must be booleans.');
  if (!optional(n.ipv6_bandwidth, (v) => isObject(v) && isString(v.id))) throw bad('ipv6_bandwidth must be {"id": "..."}.');
}

function portSub(ctx: EmulatorContext, server: ServerModel, portId: string, jobId: string): SubJobModel {
  const port = ctx.store.ports.get(portId);
  if (!port) throw bad(`Port ${portId} does not exist.`);
  const subnet = ctx.store.subnets.get(port.f.networkId);
  if (!subnet || subnet.f.vpcId !== server.vpcId) {
    throw ecsError(400, ctx.settings.limits.cross_vpc_code, `Port ${portId} is not in the VPC of the ECS (${server.vpcId}).`);
  }
  if (port.f.deviceId !== '' || portStatus(ctx, port) !== 'DOWN' || port.f.deviceOwner !== '' || portBeingAttached(ctx, portId)) {
    throw ecsError(400, 'Ecs.0919', `Port ${portId} is attached to another instance or is not attachable.`);
  }
  return { jobId, portId };
}

function subnetSub(ctx: EmulatorContext, server: ServerModel, n: Record<string, unknown>, jobId: string, claimed: Set<number>): SubJobModel {
  const subnetId = n.subnet_id as string;
  const subnet = ctx.store.subnets.get(subnetId);
  if (!subnet) throw ecsError(400, 'Ecs.0038', `Subnet ${subnetId} does not exist.`);
  if (subnet.f.vpcId !== server.vpcId) {
    throw ecsError(400, ctx.settings.limits.cross_vpc_code, `Subnet ${subnetId} is not in the VPC of the ECS (${server.vpcId}).`);
  }
  const sub: SubJobModel = { jobId, portId: ctx.ids.uuid(), subnetId };
  if (n.security_groups) sub.securityGroups = (n.security_groups as Array<{ id: string }>).map((g) => g.id);
  if (n.ip_address !== undefined && n.ip_address !== '') {
    const ip = parseIpv4(n.ip_address);
    if (ip === undefined || !cidrContainsIp(subnet.f.net, ip) || reservedIn(ctx, subnet, ip)) {
      throw ecsError(400, 'Ecs.0039', `IP address ${String(n.ip_address)} is not in subnet ${subnet.f.cidr}.`);
    }
    if (subnet.taken.has(ip) || claimed.has(ip)) throw ecsError(400, 'Ecs.0010', `The private IP address ${String(n.ip_address)} is already in use.`);
    claimed.add(ip);
    sub.ipAddress = ip;
  } else if (allocate(subnet.f.net, subnet.f.gateway, ctx.settings.limits.reserved_tail_ips, new Set([...subnet.taken, ...claimed]), subnet.hint) === undefined) {
    throw ecsError(400, 'Ecs.0012', `Subnet ${subnetId} has no free IP addresses.`);
  }
  return sub;
}

function batchAdd(ctx: EmulatorContext, req: OpRequest): unknown {
  const server = findServer(ctx, req.params.server_id ?? '');
  const nics = nicList(ctx, req.body);
  nics.forEach(validateNic);
  checkServerReady(ctx, server);
  const max = maxNicsOf(ctx, server);
  if (ctx.settings.limits.nic_limit_mode === 'sync' && attachedPorts(ctx, server).length + nics.length > max) {
    throw ecsError(400, 'Ecs.0050', `The number of NICs of ECS ${server.id} exceeds the quota (${max}).`);
  }
  const seenPorts = new Set<string>();
  const claimed = new Set<number>();
  const subs = nics.map((n) => {
    const jobId = ctx.ids.hex32();
    if (typeof n.port_id === 'string' && n.port_id !== '') {
      if (seenPorts.has(n.port_id)) throw bad(`Port ${n.port_id} is listed twice.`);
      seenPorts.add(n.port_id);
      return portSub(ctx, server, n.port_id, jobId);
    }
    return subnetSub(ctx, server, n, jobId, claimed);
  });
  return { job_id: submitJob(ctx, 'attach', server, subs).id };
}

function batchDelete(ctx: EmulatorContext, req: OpRequest): unknown {
  const server = findServer(ctx, req.params.server_id ?? '');
  const nics = nicList(ctx, req.body);
  if (!nics.every((n) => isString(n.id) && n.id !== '')) throw bad('Every NIC needs an "id" (the port id).');
  checkServerReady(ctx, server);
  const seen = new Set<string>();
  const subs = nics.map((n): SubJobModel => {
    const id = n.id as string;
    if (seen.has(id)) throw bad(`NIC ${id} is listed twice.`);
    seen.add(id);
    const port = ctx.store.ports.get(id);
    if (!port || port.f.deviceId !== server.id) throw ecsError(400, 'Ecs.0085', `The ECS does not have NIC ${id}.`);
    if (port.f.primary) throw ecsError(403, 'Ecs.0086', `NIC ${id} is the primary NIC and cannot be deleted.`);
    return { jobId: ctx.ids.hex32(), portId: id };
  });
  return { job_id: submitJob(ctx, 'detach', server, subs).id };
}

export const nicRoutes: RouteDef[] = [
  {
    op: 'BatchAddServerNics',
    method: 'POST',
    path: 'cloudservers/{server_id}/nics',
    service: 'ecs',
    status: 200,
    bodyErrorCode: 'Ecs.0005',
    handler: batchAdd,
  },
  {
    op: 'BatchDeleteServerNics',
    method: 'POST',
    path: 'cloudservers/{server_id}/nics/delete',
    service: 'ecs',
    status: 200,
    bodyErrorCode: 'Ecs.0005',
    handler: batchDelete,
  },
];
