/**
 * Public types of the Huawei Cloud ECS/VPC emulator (design.md §4 "Emulator"): its options, the in-process
 * control surface and the state snapshot. Wire shapes come from src/cloud/types.ts.
 */
import type { Logger } from '../lib/logger.js';
import type { Clock } from '../lib/clock.js';
import type { Job, OperationName, Port, ServerDetail, Subnet, Vpc } from '../cloud/types.js';

/** The operations the emulator serves and counts: the client's §8 rows 1–18, plus row 3b (ListVpcs v3). */
export type EmulatorOperation = OperationName | 'ListVpcsV3';

/**
 * An ECS job duration distribution. Always given whole (createEmulator's `timings.job_ms`, PUT /_emulator/config):
 * `{min, max}` alone is uniform in min..max; with `median` and `sigma` (both, or neither) it is log-normal.
 */
export interface JobDurations {
  /** Lower bound (ms). */
  min: number;
  /** Upper bound (ms). */
  max: number;
  /** When set (with sigma), durations are log-normal around this median, clipped to min..max. */
  median?: number;
  sigma?: number;
}

export interface EmulatorTimings {
  /** VPC CREATING → OK after this long. */
  vpc_ready_ms: number;
  /** Subnet UNKNOWN → ACTIVE after this long. */
  subnet_ready_ms: number;
  /** ECS job duration (INIT + RUNNING); uniform in min..max, or log-normal (median, sigma) clipped to min..max. */
  job_ms: JobDurations;
}

export interface EmulatorFaults {
  /** Probability (0..1) that a signed call fails with a 5xx in its service's shape before it runs. */
  error_rate: number;
  /** Token bucket over all signed calls; 0 = unlimited. Over the limit → 429 APIGW.0308 with Retry-After. */
  throttle_rps: number;
  /** Added delay (ms) before every signed call is answered. */
  latency_ms: number;
  /** Probability (0..1) that a signed call is carried out and then its connection is cut before the answer. */
  drop_response_rate: number;
  /** Probability (0..1) that an ECS NIC job ends FAIL (Ecs.0217 for attach, Ecs.0507 for detach). */
  job_fail_rate: number;
}

/** How the NIC count limit is enforced (UNVERIFIED in the real cloud, huawei-cloud-api.md §7). */
export type NicLimitMode = 'sync' | 'job';

/** The ECS code for a port/subnet outside the server's VPC: the two candidates of huawei-cloud-api.md §7. */
export type CrossVpcCode = 'Ecs.0064' | 'Ecs.0014';

/** What BatchDeleteServerNics does to a port attached by port_id (UNVERIFIED, huawei-cloud-api.md §4.3). */
export type PortIdNicOnDetach = 'keep' | 'delete';

/** The gateway code for an X-Sdk-Date outside the skew window (UNVERIFIED, huawei-cloud-api.md §2.2). */
export type ClockSkewCode = 'APIGW.0301' | 'APIGW.0303';

/** Quotas, limits and the emulator's choices where the cloud's behaviour is UNVERIFIED. */
export interface EmulatorLimits {
  vpc_quota: number;
  subnet_quota: number;
  port_quota: number;
  /** Default NICs per server, primary included (flavor `quota:vif_max_num`). */
  max_nics: number;
  /** Ecs.0050 as a synchronous 400 ('sync') or as a job that ends FAIL ('job'). */
  nic_limit_mode: NicLimitMode;
  /** Most NICs in one BatchAddServerNics / BatchDeleteServerNics body. */
  max_nics_per_request: number;
  /** Server states that allow NIC attach/detach; others → 400 Ecs.0100. */
  attach_allowed_states: string[];
  /** ECS code for a port/subnet outside the server's VPC: 'Ecs.0064' (default) or 'Ecs.0014'. */
  cross_vpc_code: CrossVpcCode;
  /** CreateSubnet requires its VPC to be OK (else 400 VPC.0004). */
  subnet_requires_vpc_ok: boolean;
  /** CreatePort requires its subnet to be ACTIVE (else 500 VPC.0205, retryable). */
  port_requires_subnet_active: boolean;
  /** Status of a NIC attached to a SHUTOFF server ('DOWN' like Neutron, or 'ACTIVE'). */
  port_status_on_shutoff: 'DOWN' | 'ACTIVE';
  /** Page size of List* when no limit is given. */
  default_page_size: number;
  /** Finished ECS jobs are purged (ShowJob → 404) after this long. */
  job_retention_ms: number;
  /** Accepted X-Sdk-Date skew (ms) either way. */
  clock_skew_ms: number;
  /** 401 code for a skewed X-Sdk-Date: 'APIGW.0301' (default) or 'APIGW.0303'. */
  clock_skew_code: ClockSkewCode;
  /** Consecutive signature failures per AK before it is locked; 0 = never lock. */
  ak_lockout_failures: number;
  /** How long a locked AK stays locked. */
  ak_lockout_ms: number;
  /** AZs of the region (default `${region}a`, `b`, `c`); servers and NICs live in the first. */
  availability_zones: string[];
  /**
   * Addresses reserved at the top of every subnet, the broadcast address included (1..4; default 3: broadcast,
   * DHCP, system interface). The network address and the gateway are always reserved.
   */
  reserved_tail_ips: number;
  /** A port attached by port_id, on BatchDeleteServerNics: 'keep' (back to DOWN, default) or 'delete'. */
  port_id_nic_on_detach: PortIdNicOnDetach;
}

export interface EmulatorOptions {
  projectId: string;
  accessKey: string;
  secretKey: string;
  /** Default 'cn-north-4'. */
  region?: string;
  clock?: Clock;
  ids?: { uuid(): string; hex32(): string };
  random?: () => number;
  timings?: Partial<EmulatorTimings>;
  faults?: Partial<EmulatorFaults>;
  limits?: Partial<EmulatorLimits>;
  /** IAM tokens accepted in X-Auth-Token (token auth, huawei-cloud-api.md §2.4). */
  tokens?: string[];
  /** Let non-loopback clients use /_emulator (e.g. the emulator in its own container). Default false. */
  allowRemoteControl?: boolean;
  logger?: Logger;
}

export interface CreateServerOptions {
  name?: string;
  vpc_id?: string;
  status?: string;
  max_nics?: number;
}

export interface EmulatorState {
  vpcs: Vpc[];
  subnets: Subnet[];
  ports: Port[];
  servers: ServerDetail[];
  jobs: Job[];
  calls: Record<EmulatorOperation, number>;
}

export interface EmulatorConfigView {
  timings: EmulatorTimings;
  faults: EmulatorFaults;
  limits: EmulatorLimits;
}

export interface EmulatorConfigPatch {
  /** Keys given replace the current ones; `job_ms` is replaced as a whole (see JobDurations). */
  timings?: Partial<EmulatorTimings>;
  faults?: Partial<EmulatorFaults>;
  limits?: Partial<EmulatorLimits>;
  /** Seed the random source (job durations, injected failures, faults) for reproducible runs; until reset. */
  seed?: number;
}

export interface EmulatorControl {
  reset(): void;
  createServer(opts?: CreateServerOptions): ServerDetail;
  configure(patch: EmulatorConfigPatch): void;
  /** Current timings, faults and limits. */
  config(): EmulatorConfigView;
  state(): EmulatorState;
  /** Change a server's status or lock flag (for rule tests: SHUTOFF, BUILD, ERROR, locked). */
  updateServer(id: string, patch: { status?: string; locked?: boolean }): ServerDetail;
}

export interface Emulator {
  /** Starts the HTTP server (both ECS and VPC paths). Default host 127.0.0.1, port 0 (any free port). */
  listen(opts?: { port?: number; host?: string }): Promise<{ url: string; port: number }>;
  /** Closes the server and every open socket; clears timers. */
  close(): Promise<void>;
  control: EmulatorControl;
}
