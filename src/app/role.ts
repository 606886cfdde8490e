/** What a role is (a part of the process that starts and stops), and what roles share. */
import type { Redis } from 'ioredis';
import type { CloudClientOptions } from '../cloud/client.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../lib/logger.js';
import type { AppOps } from './metrics-ops.js';

export const ROLE_NAMES = ['emulator', 'events', 'workers', 'api'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface Role {
  readonly name: RoleName;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  /** A shared command connection (maxRetriesPerRequest: null) for roles that take one. */
  readonly redis: Redis;
  /** Where the cloud is; valid once the roles before the asking one have started (the embedded emulator). */
  cloudOptions(): CloudClientOptions;
  /** A role of this process that has been created (e.g. the API uses the events role's stores). */
  role<T extends Role = Role>(name: RoleName): T | undefined;
  /** Set by the emulator role once it listens. */
  setCloudOptions(options: CloudClientOptions): void;
  /** Metrics (registry and hooks), worker heartbeats and liveness (./metrics-ops.ts); there once Redis is. */
  readonly ops: AppOps;
}

export type RoleFactory = (ctx: AppContext) => Role;
