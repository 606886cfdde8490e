/**
 * The one entry point: `nic-attach <command>` (also `npm start`, `npm run worker`, ...). Loads the config,
 * starts the roles the command asks for, and handles signals.
 *
 *   start     API + workers + events (+ the embedded emulator when no cloud credentials are configured)
 *   worker    workflow workers only (run as many as you like against the same Redis)
 *   api       the HTTP API only
 *   emulator  a standalone Huawei Cloud ECS/VPC emulator on EMULATOR_PORT
 *   submit | batch | status | watch   the command-line client (src/cli.ts)
 *   demo      the whole service in one process on a batch of 50 attachments (src/app/demo)
 *
 * Exit codes: 0 after a clean stop; 1 on a failure (e.g. Redis unreachable at start, one clear message);
 * 64 for an unknown command; 78 for invalid configuration (the message names every bad setting).
 * SIGTERM/SIGINT: stop taking jobs, let running stages finish (bounded by workers.shutdownTimeoutMs), close
 * everything, exit 0; a second signal exits at once.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app/create-app.js';
import { createEmulatorRole, type EmulatorRole } from './app/roles/emulator.js';
import type { ApiRole } from './app/roles/api.js';
import { startBanner, withDevApiKey, withDevWebhookSecret } from './app/first-run.js';
import type { RoleName } from './app/role.js';
import { isCloudConfigured, loadConfig } from './config/load.js';
import type { Config } from './config/types.js';
import { ConfigError, isAppError } from './lib/errors.js';
import { createLogger, type Logger } from './lib/logger.js';

const EX_USAGE = 64;
const EX_CONFIG = 78;
const CLI_COMMANDS = new Set(['submit', 'batch', 'status', 'watch']);

const USAGE = `usage: nic-attach <command> [options]

  start      API, workers and event delivery (embedded emulator when no cloud is configured)
  worker     workflow workers only (scale out by running more)
  api        the HTTP API only
  emulator   a standalone Huawei Cloud ECS/VPC emulator
  demo       everything in one process: 50 attachments through the API, webhooks verified, a summary
  submit | batch <file> | status <id> | watch   command-line client`;

/** config/ beside src/ or dist/ (so the launcher works from any directory), else ./config. */
function configDir(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'config');
  return existsSync(dir) ? dir : undefined;
}

function onSignals(stop: () => Promise<void>, logger: Logger, boundMs: number, what = 'stopping: no new jobs; running stages may finish'): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, bound_ms: boundMs }, what);
    // A stop that hangs past the bound (plus closing time) must not keep the process alive.
    setTimeout(() => {
      console.error(`shutdown did not finish within ${boundMs + 5_000} ms; exiting`);
      process.exit(1);
    }, boundMs + 5_000).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function runEmulator(config: Config, logger: Logger): Promise<void> {
  const role = createEmulatorRole(config, { logger, embedded: false });
  onSignals(() => role.stop(), logger, config.workers.shutdownTimeoutMs, 'stopping the emulator');
  await role.start();
  console.log(`Huawei Cloud emulator listening on ${role.url ?? ''} (ECS and VPC endpoints, control API under /_emulator)`);
  if (config.emulator.credentialsDefaulted) {
    console.log('Default credentials (set EMULATOR_ACCESS_KEY, EMULATOR_SECRET_KEY, EMULATOR_PROJECT_ID to choose your own):');
    console.log(`  HUAWEICLOUD_SDK_AK=${config.emulator.accessKey}`);
    console.log(`  HUAWEICLOUD_SDK_SK=${config.emulator.secretKey}`);
    console.log(`  HUAWEICLOUD_SDK_PROJECT_ID=${config.emulator.projectId}`);
    console.log(`  HUAWEICLOUD_ECS_ENDPOINT=${role.url ?? ''}  HUAWEICLOUD_VPC_ENDPOINT=${role.url ?? ''}`);
  }
  if (role.demoServerId) console.log(`Demo server: ${role.demoServerId}`);
}

async function runRoles(config: Config, logger: Logger, roles: RoleName[]): Promise<void> {
  // First run: no API_KEYS (WEBHOOK_SECRET) in development → one for this run, printed below (src/app/first-run.ts).
  const { config: keyed, generatedKey } = roles.includes('api') ? withDevApiKey(config) : { config, generatedKey: undefined };
  const { config: cfg, generatedSecret } = withDevWebhookSecret(keyed, roles);
  if (roles.includes('api') && cfg.api.keys.length === 0) logger.warn({ code: 'NO_API_KEYS' }, 'API_KEYS is empty: every API request except /healthz, /readyz and /metrics is refused with 401');
  const app = createApp(cfg, { roles, logger });
  // Before start: a signal while connecting stops cleanly too.
  onSignals(() => app.stop(), logger, cfg.workers.shutdownTimeoutMs);
  await app.start();
  const emulator = app.role<EmulatorRole>('emulator');
  const banner = startBanner({
    apiUrl: app.role<ApiRole>('api')?.url,
    generatedKey,
    generatedSecret,
    demoServerId: emulator?.demoServerId,
    embeddedEmulatorUrl: emulator?.url,
    prefix: cfg.redis.prefix,
  });
  if (banner) console.log(banner);
}

async function runCli(command: string, args: string[]): Promise<number> {
  const specifier = './cli.js';
  let mod: Record<string, unknown> | undefined;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  const entry = mod?.runCli ?? mod?.main;
  if (typeof entry !== 'function') {
    console.error(`"${command}" is not built yet`);
    return 1;
  }
  const code = (await (entry as (argv: string[]) => Promise<number | void>)([command, ...args])) ?? 0;
  return code;
}

async function main(argv: string[]): Promise<number | undefined> {
  const [command = 'start', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'demo') {
    const { runDemo } = await import('./app/demo/index.js');
    const dir = configDir();
    return runDemo(args, dir ? { configDir: dir } : {});
  }
  if (CLI_COMMANDS.has(command)) return runCli(command, args);
  if (!['start', 'worker', 'api', 'emulator'].includes(command)) {
    console.error(`unknown command "${command}"\n${USAGE}`);
    return EX_USAGE;
  }
  const dir = configDir();
  const config = loadConfig(dir ? { configDir: dir } : {});
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  if (command === 'emulator') {
    await runEmulator(config, logger);
    return undefined;
  }
  const roles: RoleName[] =
    command === 'worker' ? ['workers'] : command === 'api' ? ['api'] : ['api', 'events', 'workers', ...(isCloudConfigured(config) ? [] : (['emulator'] as const))];
  await runRoles(config, logger, roles);
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(EX_CONFIG);
    }
    console.error(isAppError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
