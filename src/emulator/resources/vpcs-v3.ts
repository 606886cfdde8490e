/**
 * VPC v3: ListVpcs `GET /v3/{project_id}/vpc/vpcs` (huawei-cloud-api.md §3.3, §8 row 3b) — the VPC list with a
 * name filter that v1 lacks. It reads the same VPCs as the v1 API, in the v3 field set and status vocabulary.
 *
 * LIMITATIONS
 * - Only ListVpcs; no other v3 operation (Show/Create/Update/Delete, extend CIDRs, tags API).
 * - Status: PENDING while the v1 status is CREATING, then ACTIVE (§5). extend_cidrs is always [];
 *   cloud_resources counts the VPC's subnets as resource_type 'virsubnet' (the resource_type names are
 *   UNVERIFIED); tags are the v1 `key*value` strings as {key, value}.
 * - created_at/updated_at: `yyyy-MM-ddTHH:mm:ssZ` (the exact v3 wire form is UNVERIFIED; clients must accept it
 *   with or without the zone, §1.4).
 * - Filters: name, id, cidr, description (each repeatable: any of its values matches; different keys must all
 *   match), enterprise_project_id (one value; all_granted_eps = every one). Other query keys are ignored.
 * - Pages: limit 0..2000 (0 or absent = limits.default_page_size), marker = the id of the last item seen.
 *   page_info: previous_marker = first id of the page, current_count, and next_marker = last id of the page only
 *   when more matching VPCs follow (absent on the last page, as documented).
 * - Errors in the v3 shape `{request_id, error_code, error_msg}` (§6.2). UNVERIFIED choice: a bad limit or an
 *   unknown marker → 400 VPC.0101.
 */
import { serverTime, vpcStatus } from '../lifecycle.js';
import type { PageInfo as PageInfoV3, VpcV3 } from '../../cloud/types.js';
import type { VpcModel } from '../models.js';
import { page, queryAll, queryOne } from '../query.js';
import type { OpRequest, RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { vpc3Error } from '../errors.js';

function subnetCount(ctx: EmulatorContext, vpcId: string): number {
  let n = 0;
  for (const s of ctx.store.subnets.values()) if (s.f.vpcId === vpcId) n++;
  return n;
}

export function vpcV3View(ctx: EmulatorContext, v: VpcModel): VpcV3 {
  const ok = vpcStatus(v, ctx.clock.now()) === 'OK';
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    cidr: v.cidr,
    extend_cidrs: [],
    status: ok ? 'ACTIVE' : 'PENDING',
    project_id: ctx.projectId,
    enterprise_project_id: v.enterpriseProjectId,
    created_at: serverTime(v.createdAt),
    updated_at: serverTime(ok ? v.readyAt : v.createdAt),
    cloud_resources: [{ resource_type: 'virsubnet', resource_count: subnetCount(ctx, v.id) }],
    tags: v.tags.map((t) => {
      const star = t.indexOf('*');
      return { key: t.slice(0, star), value: t.slice(star + 1) };
    }),
  };
}

/** True when the filter is absent or the value is one of its values. */
const anyOf = (values: string[], value: string): boolean => values.length === 0 || values.includes(value);

function listVpcsV3(ctx: EmulatorContext, req: OpRequest): unknown {
  const q = req.query;
  const names = queryAll(q, 'name');
  const ids = queryAll(q, 'id');
  const cidrs = queryAll(q, 'cidr');
  const descriptions = queryAll(q, 'description');
  const ep = queryOne(q, 'enterprise_project_id');
  const { items, more } = page(ctx.store.vpcs.values(), q, {
    idOf: (v) => v.id,
    match: (v) =>
      anyOf(names, v.name) &&
      anyOf(ids, v.id) &&
      anyOf(cidrs, v.cidr) &&
      anyOf(descriptions, v.description) &&
      (ep === undefined || ep === 'all_granted_eps' || v.enterpriseProjectId === ep),
    invalid: (message) => vpc3Error(400, 'VPC.0101', message),
    defaultLimit: ctx.settings.limits.default_page_size,
    maxLimit: 2000,
  });
  const first = items[0];
  const last = items[items.length - 1];
  const pageInfo: PageInfoV3 = {
    ...(first ? { previous_marker: first.id } : {}),
    current_count: items.length,
    ...(more && last ? { next_marker: last.id } : {}),
  };
  return { request_id: req.requestId, vpcs: items.map((v) => vpcV3View(ctx, v)), page_info: pageInfo };
}

export const vpcV3Routes: RouteDef[] = [
  { op: 'ListVpcsV3', method: 'GET', version: 'v3', path: 'vpc/vpcs', service: 'vpc3', status: 200, handler: listVpcsV3 },
];
