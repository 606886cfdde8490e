/**
 * The emulator's in-memory models. They keep what the wire views need plus the timestamps from which
 * statuses are computed lazily on read (no timers): a VPC is OK once `readyAt` has passed, and so on.
 */
import type { Cidr } from '../lib/net.js';
import type { AllowedAddressPair } from '../cloud/types.js';

export class VpcModel {
  routes: Array<{ destination: string; nexthop: string }> = [];
  constructor(
    readonly id: string,
    readonly name: string,
    readonly description: string,
    readonly cidr: string,
    readonly net: Cidr | undefined,
    readonly enterpriseProjectId: string,
    readonly tags: string[],
    readonly createdAt: number,
    readonly readyAt: number,
  ) {}
}

export interface SubnetFields {
  id: string;
  neutronSubnetId: string;
  name: string;
  description: string;
  cidr: string;
  net: Cidr;
  gatewayIp: string;
  gateway: number;
  vpcId: string;
  dhcpEnable: boolean;
  ipv6Enable: boolean;
  primaryDns: string;
  secondaryDns: string;
  dnsList: string[];
  availabilityZone: string;
  extraDhcpOpts: Array<{ opt_name: string; opt_value?: string }>;
  tags: string[];
  createdAt: number;
  readyAt: number;
}

export class SubnetModel {
  /** Allocated addresses (ports of this subnet). */
  readonly taken = new Set<number>();
  /** Where the next allocation scan starts. */
  hint = 0;
  constructor(readonly f: SubnetFields) {}
}

export interface PortFields {
  id: string;
  name: string;
  /** VPC subnet id (= neutron network id). */
  networkId: string;
  neutronSubnetId: string;
  ip: number;
  mac: string;
  securityGroups: string[];
  allowedAddressPairs: AllowedAddressPair[];
  extraDhcpOpts: Array<{ opt_name?: string; opt_value?: string }>;
  /** '' or 'neutron:VIP_PORT' as created; attachment sets compute:{az}. */
  deviceOwner: string;
  deviceId: string;
  zoneId: string;
  /** Created by ECS (primary NIC or BatchAddServerNics by subnet_id): BatchDeleteServerNics deletes it. */
  ecsCreated: boolean;
  primary: boolean;
  createdAt: number;
}

export class PortModel {
  constructor(readonly f: PortFields) {}
}

export class ServerModel {
  locked = false;
  /** The ECS job currently INIT/RUNNING on this server, if any (one operation at a time). */
  activeJobId: string | undefined;
  constructor(
    readonly id: string,
    readonly name: string,
    public status: string,
    readonly vpcId: string,
    /** NIC limit given at creation; undefined = follow limits.max_nics (which PUT /_emulator/config may change). */
    readonly maxNics: number | undefined,
    readonly az: string,
    readonly createdAt: number,
    public updatedAt: number,
    readonly primaryPortId: string,
  ) {}
}

export type JobKind = 'attach' | 'detach';
export type JobOutcome = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';

/** One requested NIC of a BatchAddServerNics / BatchDeleteServerNics body. */
export interface SubJobModel {
  jobId: string;
  /** Port to attach (port_id) or detach; for a subnet_id attach, the id the new port will get. */
  portId: string;
  /** subnet_id attach: the VPC subnet the new port goes into. */
  subnetId?: string;
  ipAddress?: number;
  securityGroups?: string[];
  outcome?: 'SUCCESS' | 'FAIL';
  errorCode?: string;
  failReason?: string;
}

export class JobModel {
  /** Set when the job's effects have been applied (at endAt). */
  settled = false;
  outcome: 'SUCCESS' | 'FAIL' | undefined;
  errorCode: string | undefined;
  failReason: string | undefined;
  constructor(
    readonly id: string,
    readonly kind: JobKind,
    readonly serverId: string,
    readonly subs: SubJobModel[],
    readonly createdAt: number,
    readonly runningAt: number,
    readonly endAt: number,
    /** Decided at submission by the job_fail_rate fault. */
    readonly injectedFailure: boolean,
  ) {}
}
