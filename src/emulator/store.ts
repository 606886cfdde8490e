/**
 * The emulator's state and the context every handler receives: resources in insertion order (the order
 * of List* and of marker pagination), call counts per operation, settings, clock and id sources.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { JobModel, PortModel, ServerModel, SubnetModel, VpcModel } from './models.js';
import type { EmulatorFaults, EmulatorLimits, EmulatorOperation, EmulatorTimings } from './types.js';

export const OPERATIONS: readonly EmulatorOperation[] = [
  'CreateVpc',
  'ShowVpc',
  'ListVpcs',
  'ListVpcsV3',
  'DeleteVpc',
  'CreateSubnet',
  'ShowSubnet',
  'ListSubnets',
  'DeleteSubnet',
  'CreatePort',
  'ShowPort',
  'ListPorts',
  'DeletePort',
  'BatchAddServerNics',
  'BatchDeleteServerNics',
  'ShowJob',
  'ShowServer',
  'ListServerInterfaces',
  'ShowServerAttachableNicNum',
];

export function zeroCalls(): Record<EmulatorOperation, number> {
  return Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<EmulatorOperation, number>;
}

/** A resource kind with a quota (limits.vpc_quota, subnet_quota, port_quota). */
export type QuotaKind = 'vpcs' | 'subnets' | 'ports';

export class Store {
  readonly vpcs = new Map<string, VpcModel>();
  readonly subnets = new Map<string, SubnetModel>();
  readonly ports = new Map<string, PortModel>();
  readonly servers = new Map<string, ServerModel>();
  readonly jobs = new Map<string, JobModel>();
  /** Jobs not yet settled, in submission order. */
  pendingJobs: JobModel[] = [];
  /**
   * Ids of the resources the control API made (a server's VPC, subnet and primary NIC): they do not count
   * toward the quotas. An id leaves its set when the resource is deleted.
   */
  readonly quotaExempt: Record<QuotaKind, Set<string>> = { vpcs: new Set(), subnets: new Set(), ports: new Set() };
  calls = zeroCalls();
  /** Source of MAC addresses fa:16:3e:xx:xx:xx. */
  macCounter = 0;
  /** Servers created by the control API (names default to server-N). */
  serverCounter = 0;
  /** Clock time of the last purge of expired jobs. */
  lastPurge = 0;

  clear(): void {
    this.vpcs.clear();
    this.subnets.clear();
    this.ports.clear();
    this.servers.clear();
    this.jobs.clear();
    this.pendingJobs = [];
    for (const ids of Object.values(this.quotaExempt)) ids.clear();
    this.calls = zeroCalls();
    this.macCounter = 0;
    this.serverCounter = 0;
    this.lastPurge = 0;
  }

  /** Resources of this kind that count toward its quota (those the control API made do not). */
  quotaUsed(kind: QuotaKind): number {
    return this[kind].size - this.quotaExempt[kind].size;
  }

  /** Remove a resource from its map and from the quota exemptions. */
  forget(kind: QuotaKind, id: string): void {
    this[kind].delete(id);
    this.quotaExempt[kind].delete(id);
  }

  nextMac(): string {
    const n = ++this.macCounter;
    const hex = (v: number): string => v.toString(16).padStart(2, '0');
    return `fa:16:3e:${hex((n >>> 16) & 255)}:${hex((n >>> 8) & 255)}:${hex(n & 255)}`;
  }
}

export interface EmulatorSettings {
  timings: EmulatorTimings;
  faults: EmulatorFaults;
  limits: EmulatorLimits;
}

export interface EmulatorContext {
  readonly store: Store;
  readonly settings: EmulatorSettings;
  readonly clock: Clock;
  readonly ids: { uuid(): string; hex32(): string };
  /** Replaced by `configure({ seed })` (./random.ts) and restored by `reset()`. */
  random: () => number;
  readonly projectId: string;
  readonly region: string;
  readonly logger: Logger;
  /** The project's default security group (ports without security_groups get it). */
  readonly defaultSecurityGroupId: string;
  /** The IAM user owning the emulated servers. */
  readonly userId: string;
}
