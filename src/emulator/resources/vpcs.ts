/**
 * VPC v1: CreateVpc, ShowVpc, ListVpcs, DeleteVpc (huawei-cloud-api.md §3.1–3.4).
 *
 * LIMITATIONS
 * - No routes, peerings, VPN gateways or enterprise-project permissions. v1 ListVpcs has no name filter (as in
 *   the cloud); ListVpcs v3, which has one, is vpcs-v3.ts. `routes` is always [].
 * - CREATING → OK after timings.vpc_ready_ms on the injected clock; VPCs never go to ERROR.
 * - Quota: limits.vpc_quota (default 100; the real default quota is 5) → 409 VPC.0114. VPCs created by the
 *   control API (POST /_emulator/servers) are exempt: they do not count toward it (Store.quotaExempt).
 * - Name uniqueness (VPC.0115) is checked among non-empty names, case-sensitively (UNVERIFIED).
 * - UNVERIFIED choices: DeleteVpc of a CREATING VPC → 409 VPC.0110; a malformed VPC id (not a UUID) →
 *   400 VPC.0101; unknown marker or bad limit → 400 VPC.0101.
 */
import type { Vpc } from '../../cloud/types.js';
import { isUuid } from '../../lib/ids.js';
import { vpcError } from '../errors.js';
import { isPrivateCidr } from '../../lib/net.js';
import { parseNetwork } from '../ipam.js';
import { vpcStatus, vpcTime } from '../lifecycle.js';
import { VpcModel } from '../models.js';
import { paginate, queryOne } from '../query.js';
import type { OpRequest, RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { checkDescription, checkName, checkTags, isObject, optional } from '../validate.js';

export function vpcView(ctx: EmulatorContext, v: VpcModel): Vpc {
  const now = ctx.clock.now();
  const status = vpcStatus(v, now);
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    cidr: v.cidr,
    status,
    routes: v.routes.map((r) => ({ ...r })),
    enterprise_project_id: v.enterpriseProjectId,
    tenant_id: ctx.projectId,
    created_at: vpcTime(v.createdAt),
    updated_at: vpcTime(status === 'OK' ? v.readyAt : v.createdAt),
    block_service_endpoint_states: 'off',
    enable_network_address_usage_metrics: false,
  };
}

const invalid = (message: string) => vpcError(400, 'VPC.0101', message);

/** The VPC by id, or 404 VPC.0003 (400 VPC.0101 for an id that is not a UUID). */
export function findVpc(ctx: EmulatorContext, id: string): VpcModel {
  const vpc = ctx.store.vpcs.get(id);
  if (vpc) return vpc;
  if (!isUuid(id)) throw invalid(`Invalid VPC id: ${id}`);
  throw vpcError(404, 'VPC.0003', 'VPC does not exist.');
}

/** Insert a VPC (no quota or name checks: the caller did them). */
export function insertVpc(
  ctx: EmulatorContext,
  o: { name: string; description?: string; cidr: string; enterpriseProjectId?: string; tags?: string[]; readyAt?: number },
): VpcModel {
  const now = ctx.clock.now();
  const vpc = new VpcModel(
    ctx.ids.uuid(),
    o.name,
    o.description ?? '',
    o.cidr,
    parseNetwork(o.cidr),
    o.enterpriseProjectId ?? '0',
    o.tags ?? [],
    o.readyAt ?? now,
    o.readyAt ?? now + ctx.settings.timings.vpc_ready_ms,
  );
  ctx.store.vpcs.set(vpc.id, vpc);
  return vpc;
}

function createVpc(ctx: EmulatorContext, req: OpRequest): unknown {
  const body = req.body;
  if (!isObject(body) || !isObject(body.vpc)) throw invalid('Request body must have a "vpc" object.');
  const o = body.vpc;
  if (!optional(o.name, (v) => checkName(v, 0, 64))) throw invalid('Invalid name: 0-64 letters, digits, "_", "-" or ".".');
  if (!optional(o.description, checkDescription)) throw invalid('Invalid description: at most 255 characters, no "<" or ">".');
  if (o.cidr !== undefined) {
    const net = parseNetwork(o.cidr);
    if (!net || net.prefix < 8 || net.prefix > 28 || !isPrivateCidr(net)) {
      throw invalid(`Invalid cidr: ${String(o.cidr)} (must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, prefix 8..28).`);
    }
  }
  const ep = o.enterprise_project_id;
  if (!optional(ep, (v) => typeof v === 'string' && (v === '0' || isUuid(v)))) throw invalid('Invalid enterprise_project_id.');
  if (!optional(o.tags, checkTags)) throw invalid('Invalid tags: at most 10 "key*value" strings.');
  const name = (o.name as string | undefined) ?? '';
  if (name !== '') {
    for (const v of ctx.store.vpcs.values()) if (v.name === name) throw vpcError(400, 'VPC.0115', 'The router name exists.');
  }
  if (ctx.store.quotaUsed('vpcs') >= ctx.settings.limits.vpc_quota) {
    throw vpcError(409, 'VPC.0114', "Quota exceeded for resources: ['router'].");
  }
  const vpc = insertVpc(ctx, {
    name,
    description: (o.description as string | undefined) ?? '',
    cidr: (o.cidr as string | undefined) ?? '',
    enterpriseProjectId: (ep as string | undefined) ?? '0',
    tags: (o.tags as string[] | undefined) ?? [],
  });
  return { vpc: vpcView(ctx, vpc) };
}

function listVpcs(ctx: EmulatorContext, req: OpRequest): unknown {
  const id = queryOne(req.query, 'id');
  const ep = queryOne(req.query, 'enterprise_project_id');
  const page = paginate(ctx.store.vpcs.values(), req.query, {
    idOf: (v) => v.id,
    match: (v) => (id === undefined || v.id === id) && (ep === undefined || ep === 'all_granted_eps' || v.enterpriseProjectId === ep),
    invalid,
    defaultLimit: ctx.settings.limits.default_page_size,
  });
  return { vpcs: page.map((v) => vpcView(ctx, v)) };
}

function deleteVpc(ctx: EmulatorContext, req: OpRequest): unknown {
  const vpc = findVpc(ctx, req.params.vpc_id ?? '');
  for (const s of ctx.store.subnets.values()) {
    if (s.f.vpcId === vpc.id) throw vpcError(409, 'VPC.0104', 'The router contains subnets, can not be deleted.');
  }
  if (vpcStatus(vpc, ctx.clock.now()) !== 'OK') throw vpcError(409, 'VPC.0110', 'VPC is not in a stable status, please try later.');
  ctx.store.forget('vpcs', vpc.id);
  return undefined;
}

export const vpcRoutes: RouteDef[] = [
  { op: 'CreateVpc', method: 'POST', path: 'vpcs', service: 'vpc', status: 200, bodyErrorCode: 'VPC.0101', handler: createVpc },
  { op: 'ListVpcs', method: 'GET', path: 'vpcs', service: 'vpc', status: 200, handler: listVpcs },
  {
    op: 'ShowVpc',
    method: 'GET',
    path: 'vpcs/{vpc_id}',
    service: 'vpc',
    status: 200,
    handler: (ctx, req) => ({ vpc: vpcView(ctx, findVpc(ctx, req.params.vpc_id ?? '')) }),
  },
  { op: 'DeleteVpc', method: 'DELETE', path: 'vpcs/{vpc_id}', service: 'vpc', status: 204, handler: deleteVpc },
];
