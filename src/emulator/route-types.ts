/** What a resource file declares for each operation it serves, and what a handler receives. */
import type { EmulatorContext } from './store.js';
import type { EmulatorOperation } from './types.js';

/** The service that answers, which fixes the error-body shape: VPC v1, VPC v3 or ECS (huawei-cloud-api.md §6). */
export type ServiceShape = 'vpc' | 'vpc3' | 'ecs';

export interface OpRequest {
  /** Path parameters, decoded. */
  params: Record<string, string>;
  /** Decoded query pairs, in wire order (repeated keys kept). */
  query: Array<[string, string]>;
  /** Parsed JSON body (undefined when there was none). */
  body: unknown;
  /** This request's id (the X-Request-Id header; VPC v3 bodies repeat it as request_id). */
  requestId: string;
}

export interface RouteDef {
  op: EmulatorOperation;
  method: 'GET' | 'POST' | 'DELETE';
  /** The version segment of the path (default 'v1'; the VPC v3 API is 'v3'). */
  version?: 'v1' | 'v3';
  /** Path after `/{version}/{project_id}/`, with `{name}` parameters, e.g. `vpcs/{vpc_id}`. */
  path: string;
  service: ServiceShape;
  /** Success status: 200, 201 (CreatePort) or 204 (deletes, empty body). */
  status: 200 | 201 | 204;
  /** Code of a malformed (non-JSON) body: Ecs.0005, VPC.0101, VPC.0201, VPC.2500. */
  bodyErrorCode?: string;
  /** Returns the response body (ignored for 204). Throws EmulatorError for cloud errors. */
  handler: (ctx: EmulatorContext, req: OpRequest) => unknown;
}
