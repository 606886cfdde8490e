/**
 * Every Redis key of the service, in one place. All start with the configured prefix so one Redis can host
 * several deployments, and so that a hash-tag prefix (`{nicattach}`) keeps them in one Cluster slot (the
 * atomic scripts touch several keys at once).
 */
/**
 * The consumer group the webhook dispatcher (src/events/dispatcher.ts) reads the events stream as. The record
 * scripts create it together with the stream (./record-scripts.ts), so the events appended before any
 * dispatcher ever ran are still delivered as webhooks.
 */
export const EVENTS_DISPATCH_GROUP = 'webhooks';

export interface Keys {
  attachment(id: string): string;
  /** Sorted set of all attachment ids by creation time (newest-first listing). */
  attachmentsIndex(): string;
  /** Sorted sets of attachment ids per status / server / batch (listing filters). */
  byStatus(status: string): string;
  byServer(serverId: string): string;
  batch(id: string): string;
  batchItems(id: string): string;
  idempotency(key: string): string;
  /** Per-(project, resource key) find-or-create lock (subnets only: the network stage never creates a VPC). */
  createLock(kind: 'subnet', key: string): string;
  /** Set of the attachments that resolved this subnet and may still put a port in it (./subnet-users.ts). */
  subnetUsers(subnetId: string): string;
  /** Which attachment created this subnet (./subnet-users.ts claimCreated). */
  subnetCreator(subnetId: string): string;
  /** Per-server attach lease. */
  serverLease(serverId: string): string;
  /** The completion events stream. */
  events(): string;
  /** Recent ECS job durations (the poller learns from them). */
  jobDurations(): string;
  /** Shared cloud rate limiter. */
  rateLimit(projectId: string): string;
  /** Anything else a module needs: `<prefix>:<parts...>`. */
  custom(...parts: string[]): string;
}

export function createKeys(prefix: string): Keys {
  const k = (...parts: string[]): string => [prefix, ...parts].join(':');
  return {
    attachment: (id) => k('att', id),
    attachmentsIndex: () => k('att-index'),
    byStatus: (status) => k('att-by-status', status),
    byServer: (serverId) => k('att-by-server', serverId),
    batch: (id) => k('batch', id),
    batchItems: (id) => k('batch-items', id),
    idempotency: (key) => k('idem', key),
    createLock: (kind, key) => k('lock', kind, key),
    subnetUsers: (subnetId) => k('subnet-users', subnetId),
    subnetCreator: (subnetId) => k('subnet-creator', subnetId),
    serverLease: (serverId) => k('lease', 'server', serverId),
    events: () => k('events'),
    jobDurations: () => k('ecs-job-durations'),
    rateLimit: (projectId) => k('ratelimit', projectId),
    custom: (...parts) => k(...parts),
  };
}
