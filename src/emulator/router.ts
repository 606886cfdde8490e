/**
 * Routing of `/v1/{project_id}/...` paths to the operations of huawei-cloud-api.md §8 rows 1–18, and of
 * `/v3/{project_id}/vpc/vpcs` to row 3b (ListVpcs v3), both services on one server. Unknown method+path →
 * 404 APIGW.0101 (decided by the caller, before authentication).
 */
import type { RouteDef } from './route-types.js';
import { jobRoutes } from './resources/jobs.js';
import { nicRoutes } from './resources/nics.js';
import { portRoutes } from './resources/ports.js';
import { serverRoutes } from './resources/servers.js';
import { subnetRoutes } from './resources/subnets.js';
import { vpcV3Routes } from './resources/vpcs-v3.js';
import { vpcRoutes } from './resources/vpcs.js';

export const ROUTES: readonly RouteDef[] = [...vpcRoutes, ...vpcV3Routes, ...subnetRoutes, ...portRoutes, ...nicRoutes, ...jobRoutes, ...serverRoutes];

interface Compiled {
  def: RouteDef;
  parts: Array<{ literal: string } | { param: string }>;
}

export interface RouteMatch {
  def: RouteDef;
  projectId: string;
  params: Record<string, string>;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createRouter(routes: readonly RouteDef[] = ROUTES): { match(method: string, pathname: string): RouteMatch | undefined } {
  // Keyed by version and segment count, e.g. 'v1/2' for `vpcs/{vpc_id}`.
  const byShape = new Map<string, Compiled[]>();
  for (const def of routes) {
    const parts = def.path.split('/').map((p) => (p.startsWith('{') ? { param: p.slice(1, -1) } : { literal: p }));
    const key = `${def.version ?? 'v1'}/${parts.length}`;
    const list = byShape.get(key) ?? [];
    list.push({ def, parts });
    byShape.set(key, list);
  }
  return {
    match(method, pathname) {
      const segments = pathname.split('/');
      // ['', 'v1' | 'v3', project, ...rest]
      if (segments.length < 4 || segments[0] !== '') return undefined;
      const projectId = safeDecode(segments[2] ?? '');
      const rest = segments.slice(3).map(safeDecode);
      const candidates = byShape.get(`${segments[1] ?? ''}/${rest.length}`);
      if (!candidates) return undefined;
      for (const c of candidates) {
        if (c.def.method !== method) continue;
        const params: Record<string, string> = {};
        let ok = true;
        for (let i = 0; i < c.parts.length && ok; i++) {
          const part = c.parts[i];
          const seg = rest[i] ?? '';
          if (!part) ok = false;
          else if ('literal' in part) ok = part.literal === seg;
          else if (seg === '') ok = false;
          else params[part.param] = seg;
        }
        if (ok) return { def: c.def, projectId, params };
      }
      return undefined;
    },
  };
}
