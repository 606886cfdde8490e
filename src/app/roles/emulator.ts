/**
 * The emulator role: the ECS/VPC emulator on config.emulator.host:port (0 = a free port) with the configured
 * credentials and timings. Embedded (no cloud credentials): the cloud of this process, with one log line
 * saying so, and a demo server when config.emulator.seedDemo. Standalone (`nic-attach emulator`): the same,
 * for other processes.
 */
import type { Config } from '../../config/types.js';
import type { Logger } from '../../lib/logger.js';
import { createEmulator, type Emulator } from '../../emulator/index.js';
import { emulatorCloudOptions } from '../cloud-options.js';
import type { AppContext, Role } from '../role.js';

export interface EmulatorRole extends Role {
  readonly name: 'emulator';
  readonly url: string | undefined;
  readonly emulator: Emulator;
  /** The demo server made at start (seedDemo), if any. */
  readonly demoServerId: string | undefined;
}

export function createEmulatorRole(config: Config, deps: { logger: Logger; embedded: boolean; onListening?: (url: string) => void }): EmulatorRole {
  const log = deps.logger.child({ role: 'emulator' });
  const e = config.emulator;
  const emulator = createEmulator({
    projectId: e.projectId,
    accessKey: e.accessKey,
    secretKey: e.secretKey,
    region: config.cloud.region,
    timings: { vpc_ready_ms: e.vpcReadyMs, subnet_ready_ms: e.subnetReadyMs, job_ms: { min: e.jobMinMs, max: Math.max(e.jobMinMs, e.jobMaxMs) } },
    // The emulator's own start line would repeat ours; keep its warnings.
    logger: log.child({}, { level: 'warn' }),
  });
  let url: string | undefined;
  let demoServerId: string | undefined;
  return {
    name: 'emulator',
    emulator,
    get url() {
      return url;
    },
    get demoServerId() {
      return demoServerId;
    },
    async start() {
      url = (await emulator.listen({ host: e.host, port: e.port })).url;
      if (e.seedDemo) demoServerId = emulator.control.createServer({ name: 'demo-server' }).id;
      deps.onListening?.(url);
      const what = deps.embedded
        ? 'no cloud credentials configured: using the embedded Huawei Cloud emulator as the cloud'
        : 'Huawei Cloud emulator listening';
      log.info({ url, project_id: e.projectId, ...(demoServerId ? { demo_server_id: demoServerId } : {}) }, what);
    },
    async stop() {
      await emulator.close();
      url = undefined;
    },
  };
}

/** The registration used by createApp. */
export function emulatorRoleFactory(ctx: AppContext): EmulatorRole {
  return createEmulatorRole(ctx.config, {
    logger: ctx.logger,
    embedded: true,
    onListening: (url) => ctx.setCloudOptions(emulatorCloudOptions(ctx.config, url)),
  });
}
