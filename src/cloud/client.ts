/**
 * The Huawei Cloud client contract: one typed method per operation of huawei-cloud-api.md §8, rows 1–18.
 * Implemented by createCloudClient() (./create-client.ts) over the signing transport (./transport.ts).
 *
 * Rules every implementation keeps:
 * - success codes per operation (200; 201 for CreatePort; 204 for deletes); anything else → CloudError
 *   via classifyCloudError();
 * - responses are validated at the boundary (a malformed body is a CloudError of kind 'malformed');
 * - POSTs are never retried blindly; GETs may be retried `getRetries` times on retryable errors;
 * - `list*` return one page; `listAll*` follow the `marker` until a short page.
 */
import type nodeFetch from 'node-fetch';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type {
  BatchAddServerNicOption,
  CreatePortOption,
  CreateSubnetOption,
  CreateVpcOption,
  Job,
  JobAccepted,
  ListPortsQuery,
  ListSubnetsQuery,
  ListVpcsQuery,
  ListVpcsV3Page,
  ListVpcsV3Query,
  OperationName,
  Port,
  ServerAttachableNicNum,
  ServerDetail,
  ServerInterfaces,
  Subnet,
  Vpc,
  VpcV3,
} from './types.js';

/** What one finished call looked like (for logs, metrics and stage transition lines). */
export interface CallMeta {
  operation: OperationName;
  method: string;
  /** HTTP status, or undefined when no answer arrived. */
  status: number | undefined;
  durationMs: number;
  requestId: string | undefined;
  /** 'ok', or the error code. */
  outcome: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Called once per HTTP attempt, success or failure. */
  onCall?: (meta: CallMeta) => void;
}

export interface CloudClient {
  readonly projectId: string;

  createVpc(option: CreateVpcOption, opts?: CallOptions): Promise<Vpc>;
  showVpc(vpcId: string, opts?: CallOptions): Promise<Vpc>;
  listVpcs(query?: ListVpcsQuery, opts?: CallOptions): Promise<Vpc[]>;
  listAllVpcs(query?: Omit<ListVpcsQuery, 'marker'>, opts?: CallOptions): Promise<Vpc[]>;
  deleteVpc(vpcId: string, opts?: CallOptions): Promise<void>;

  createSubnet(option: CreateSubnetOption, opts?: CallOptions): Promise<Subnet>;
  showSubnet(subnetId: string, opts?: CallOptions): Promise<Subnet>;
  listSubnets(query?: ListSubnetsQuery, opts?: CallOptions): Promise<Subnet[]>;
  listAllSubnets(query?: Omit<ListSubnetsQuery, 'marker'>, opts?: CallOptions): Promise<Subnet[]>;
  deleteSubnet(vpcId: string, subnetId: string, opts?: CallOptions): Promise<void>;

  createPort(option: CreatePortOption, opts?: CallOptions): Promise<Port>;
  showPort(portId: string, opts?: CallOptions): Promise<Port>;
  listPorts(query?: ListPortsQuery, opts?: CallOptions): Promise<Port[]>;
  listAllPorts(query?: Omit<ListPortsQuery, 'marker'>, opts?: CallOptions): Promise<Port[]>;
  deletePort(portId: string, opts?: CallOptions): Promise<void>;

  batchAddServerNics(serverId: string, nics: BatchAddServerNicOption[], opts?: CallOptions): Promise<JobAccepted>;
  batchDeleteServerNics(serverId: string, portIds: string[], opts?: CallOptions): Promise<JobAccepted>;
  showJob(jobId: string, opts?: CallOptions): Promise<Job>;
  showServer(serverId: string, opts?: CallOptions): Promise<ServerDetail>;
  listServerInterfaces(serverId: string, opts?: CallOptions): Promise<ServerInterfaces>;
  showServerAttachableNicNum(serverId: string, opts?: CallOptions): Promise<ServerAttachableNicNum>;
}

/**
 * ListVpcs v3 (huawei-cloud-api.md §3.3, §8 row 3b): the VPC list with name/cidr/description filters, which v1
 * lacks. Its VPC objects are not v1 `Vpc`s (other fields; status PENDING/ACTIVE, not CREATING/OK).
 * Kept apart from CloudClient because nothing in the workflow calls it yet: wrappers of CloudClient (e.g.
 * src/workflow/instrumented-client.ts) need not forward it until something does.
 */
export interface VpcV3Client {
  /** One page, as sent: `vpcs` plus `page_info` (next_marker only when more follow) and `request_id`. */
  listVpcsV3(query?: ListVpcsV3Query, opts?: CallOptions): Promise<ListVpcsV3Page>;
  /** Every page, following page_info.next_marker until the cloud gives none. */
  listAllVpcsV3(query?: Omit<ListVpcsV3Query, 'marker'>, opts?: CallOptions): Promise<VpcV3[]>;
}

export type CloudCredentials =
  | { kind: 'aksk'; accessKey: string; secretKey: string; securityToken?: string }
  | { kind: 'token'; token: string };

export interface CloudClientOptions {
  ecsEndpoint: string;
  vpcEndpoint: string;
  projectId: string;
  credentials: CloudCredentials;
  timeoutMs: number;
  getRetries: number;
}

export interface CloudClientDeps {
  logger: Logger;
  /** Default: node-fetch. */
  fetch?: typeof nodeFetch;
  /** For X-Sdk-Date (default systemClock). */
  clock?: Clock;
  /** Awaited before every HTTP attempt: the shared per-project rate limiter plugs in here. */
  beforeCall?: (operation: OperationName) => Promise<void>;
  /** Called after every HTTP attempt (metrics). */
  onCall?: (meta: CallMeta) => void;
  /**
   * Told of every throttled answer (429 / APIGW.0308) with its Retry-After: the shared rate limiter's pause
   * plugs in here. With it, the client never sleeps out a throttle itself; the error goes up (./retry.ts).
   */
  onThrottled?: (retryAfterMs: number, operation: OperationName) => Promise<void> | void;
}

/** https://{service}.{region}.myhuaweicloud.com unless overridden (huawei-cloud-api.md §1.1). */
export function resolveEndpoints(region: string, ecsOverride = '', vpcOverride = ''): { ecs: string; vpc: string } {
  const strip = (u: string): string => u.replace(/\/+$/, '');
  return {
    ecs: strip(ecsOverride || `https://ecs.${region}.myhuaweicloud.com`),
    vpc: strip(vpcOverride || `https://vpc.${region}.myhuaweicloud.com`),
  };
}
