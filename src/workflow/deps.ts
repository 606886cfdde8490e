/**
 * What the stages depend on, as interfaces. Redis implementations: locks and leases in src/queues/locks.ts,
 * job durations in ./job-durations.ts, subnet users in ./subnet-users.ts, the record store in
 * ./record-store.ts. Tests may substitute any of them.
 */
import type { CloudClient } from '../cloud/client.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Config } from '../config/types.js';
import type { Keys } from './keys.js';
import type { AttachmentStore } from './record-store.js';
import type { SubnetReads } from './stages/subnet-reads.js';
import type { SubnetUsers } from './subnet-users.js';

export type LockResult<T> = { acquired: true; value: T } | { acquired: false };

/** The lock as the work under it sees it. */
export interface HeldLock {
  /**
   * Is the lock still ours? Answers from Redis and, when it is, extends it by its TTL. Call it right before
   * the effect the lock guards (a create POST, a delete): false means it expired (and may now be someone
   * else's) — do not act.
   */
  confirm(): Promise<boolean>;
}

/** Short mutual exclusion around find-or-create (a subnet name) and the deletion of what was created. */
export interface Locks {
  /**
   * Runs `fn` while holding `key`, renewed every ttlMs / 3 for as long as `fn` runs (its reads can outlast one
   * TTL); `{ acquired: false }` at once when someone else holds it.
   */
  withLock<T>(key: string, ttlMs: number, fn: (lock: HeldLock) => Promise<T>): Promise<LockResult<T>>;
}

/** A key held by one owner with an expiry, renewable: one attach at a time per server. */
export interface Leases {
  /** Takes the lease, or renews it when `owner` already holds it (re-entrant: a re-run stage keeps it). */
  acquire(key: string, owner: string, ttlMs: number): Promise<{ acquired: boolean; holder?: string }>;
  /** Extends the lease when `owner` holds it. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Drops the lease when `owner` holds it. */
  release(key: string, owner: string): Promise<boolean>;
}

/** Recent ECS job durations (ms), which the poll schedule learns from. */
export interface JobDurations {
  record(ms: number): Promise<void>;
  recent(): Promise<number[]>;
}

export type WorkflowSettings = Config['workflow'];

/** Everything a stage function receives besides the record. */
export interface StageDeps {
  /** Cloud calls made through this client are counted into the record by the queue layer. */
  cloud: CloudClient;
  store: Pick<AttachmentStore, 'patch' | 'get'>;
  keys: Keys;
  locks: Locks;
  leases: Leases;
  jobDurations: JobDurations;
  /** The live attachments of each subnet, which cleanup must not delete from under them. */
  subnetUsers: SubnetUsers;
  clock: Clock;
  logger: Logger;
  settings: WorkflowSettings;
  random?: () => number;
  /** ShowSubnet answers shared by this process's subnet stages (./stages/subnet-reads.ts); absent = read every time. */
  subnetReads?: SubnetReads;
}
