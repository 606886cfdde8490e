/**
 * createApp(config, { roles }): the composition root. Builds what the roles share (logger, a Redis
 * connection, where the cloud is), creates and starts the roles in order, and stops them in reverse.
 *
 * The cloud: credentials in config → Huawei Cloud; none and the 'emulator' role asked for → the embedded
 * emulator (one log line says so); none and no emulator role (e.g. `nic-attach worker`) → the emulator that
 * `npm start` or `nic-attach emulator` runs at config.emulator.host:port.
 */
import type { Redis } from 'ioredis';
import type { CloudClientOptions } from '../cloud/client.js';
import { isCloudConfigured } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { createRedisConnection } from '../queues/connections.js';
import { cloudOptionsFromConfig, emulatorCloudOptions, sharedEmulatorUrl } from './cloud-options.js';
import { checkRedis } from './redis-check.js';
import { createAppOps, type AppOps } from './metrics-ops.js';
import { ROLE_NAMES, type AppContext, type Role, type RoleFactory, type RoleName } from './role.js';
import { ROLE_FACTORIES } from './roles/index.js';

export interface AppOptions {
  roles: readonly RoleName[];
  logger?: Logger;
  /** Replace role registrations (tests). */
  factories?: Partial<Record<RoleName, RoleFactory>>;
}

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  /** The roles this app runs, in start order. */
  readonly roles: readonly RoleName[];
  role<T extends Role = Role>(name: RoleName): T | undefined;
  start(): Promise<void>;
  /** Stops the started roles in reverse order, then closes the shared connection. Safe to call twice. */
  stop(): Promise<void>;
}

export function createApp(config: Config, opts: AppOptions): App {
  const logger = opts.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const roles = ROLE_NAMES.filter((r) => opts.roles.includes(r));
  const factories = { ...ROLE_FACTORIES, ...opts.factories };
  const created = new Map<RoleName, Role>();
  const started: Role[] = [];
  let redis: Redis | undefined;
  let cloud: CloudClientOptions | undefined;
  let ops: AppOps | undefined;

  const ctx: AppContext = {
    config,
    logger,
    get redis(): Redis {
      if (!redis) throw new Error('this app has no Redis connection (only the emulator role was asked for)');
      return redis;
    },
    cloudOptions() {
      if (!cloud) throw new Error('the cloud is not known yet: the emulator role must start before the roles that use it');
      return cloud;
    },
    get ops(): AppOps {
      if (!ops) throw new Error('this app has no metrics (only the emulator role was asked for)');
      return ops;
    },
    role: <T extends Role = Role>(name: RoleName) => created.get(name) as T | undefined,
    setCloudOptions(options) {
      cloud = options;
    },
  };

  let starting: Promise<void> | undefined;
  let stopRequested = false;
  let stopping: Promise<void> | undefined;

  const stopStarted = async (): Promise<void> => {
    await ops?.stopServer();
    for (const role of [...started].reverse()) {
      try {
        await role.stop();
      } catch (err) {
        logger.error({ role: role.name, err: err instanceof Error ? err.message : String(err) }, 'role did not stop cleanly');
      }
    }
    started.length = 0;
    await ops?.close();
    ops = undefined;
    const r = redis;
    redis = undefined;
    if (r) await r.quit().catch(() => r.disconnect());
  };

  const stop = (): Promise<void> => {
    stopRequested = true;
    stopping ??= (async () => {
      // A stop during start (a signal while connecting) lets the role being started finish, then undoes all.
      await starting?.catch(() => undefined);
      await stopStarted();
    })();
    return stopping;
  };

  return {
    config,
    logger,
    roles,
    role: ctx.role,
    start() {
      starting ??= startRoles();
      return starting;
    },
    stop,
  };

  async function startRoles(): Promise<void> {
    {
      if (isCloudConfigured(config)) {
        cloud = cloudOptionsFromConfig(config);
      } else if (!roles.includes('emulator') && roles.some((r) => r === 'workers')) {
        cloud = emulatorCloudOptions(config, sharedEmulatorUrl(config));
        logger.info({ url: sharedEmulatorUrl(config) }, 'no cloud credentials configured: using the emulator at this URL (run `nic-attach emulator` or `npm start` for one)');
      }
      if (roles.some((r) => r !== 'emulator')) {
        await checkRedis(config.redis.url);
        redis = createRedisConnection(config.redis.url, 'worker', { name: `${config.redis.prefix}:app` });
        redis.on('error', (err) => logger.warn({ err: err.message, code: 'REDIS_UNAVAILABLE' }, 'Redis connection error'));
        ops = createAppOps(config, { redis, logger });
      }
      try {
        for (const name of roles) {
          if (stopRequested) return;
          const role = factories[name](ctx);
          created.set(name, role);
          await role.start();
          started.push(role);
        }
        // Worker-only processes serve /metrics, /healthz, /readyz on config.metrics (the API serves them otherwise).
        const workersRole = created.get('workers') as { isRunning?: () => boolean } | undefined;
        await ops?.startServer({ hasApi: roles.includes('api'), ...(workersRole?.isRunning ? { ownWorkersRunning: workersRole.isRunning } : {}) });
      } catch (err) {
        await stopStarted();
        throw err;
      }
      logger.info({ roles, prefix: config.redis.prefix }, 'nic-attach started');
    }
  }
}
