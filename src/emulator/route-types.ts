/** What a resource file declares for each operation it serves, and what a handler receives. */
import type { OperationName } from '../cloud/types.js';
import type { EmulatorContext } from './store.js';

export interface OpRequest {
  /** Path parameters, decoded. */
  params: Record<string, string>;
  /** Decoded query pairs, in wire order (repeated keys kept). */
  query: Array<[string, string]>;
  /** Parsed JSON body (undefined when there was none). */
  body: unknown;
}

export interface RouteDef {
  op: OperationName;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path after `/v1/{project_id}/`, with `{name}` parameters, e.g. `vpcs/{vpc_id}`. */
  path: string;
  service: 'vpc' | 'ecs';
  /** Success status: 200, 201 (CreatePort) or 204 (deletes, empty body). */
  status: 200 | 201 | 204;
  /** Code of a malformed (non-JSON) body: Ecs.0005, VPC.0101, VPC.0201, VPC.2500. */
  bodyErrorCode?: string;
  /** Returns the response body (ignored for 204). Throws EmulatorError for cloud errors. */
  handler: (ctx: EmulatorContext, req: OpRequest) => unknown;
}
