/**
 * Where the cloud is: real Huawei Cloud from config (AK/SK or token, endpoints from the region unless
 * overridden), or an emulator (the embedded one of this process, or the one a `nic-attach emulator` /
 * `npm start` runs at config.emulator.host:port) with the emulator's credentials.
 */
import { resolveEndpoints, type CloudClientOptions } from '../cloud/client.js';
import { crossKeyProblems } from '../config/cross-checks.js';
import type { Config } from '../config/types.js';
import { ConfigError } from '../lib/errors.js';

export function cloudOptionsFromConfig(config: Config): CloudClientOptions {
  const c = config.cloud;
  // loadConfig already reported these (with every other problem); this guards configs built another way
  // (tests, tools) with the same checks, not a second copy of them.
  const problems = crossKeyProblems({ cloud: c });
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  const { ecs, vpc } = resolveEndpoints(c.region, c.ecsEndpoint, c.vpcEndpoint);
  return {
    ecsEndpoint: ecs,
    vpcEndpoint: vpc,
    projectId: c.projectId,
    credentials:
      c.ak !== ''
        ? { kind: 'aksk', accessKey: c.ak, secretKey: c.sk, ...(c.securityToken ? { securityToken: c.securityToken } : {}) }
        : { kind: 'token', token: c.authToken },
    timeoutMs: c.timeoutMs,
    getRetries: c.getRetries,
  };
}

export function emulatorCloudOptions(config: Config, url: string): CloudClientOptions {
  return {
    ecsEndpoint: url,
    vpcEndpoint: url,
    projectId: config.emulator.projectId,
    credentials: { kind: 'aksk', accessKey: config.emulator.accessKey, secretKey: config.emulator.secretKey },
    timeoutMs: config.cloud.timeoutMs,
    getRetries: config.cloud.getRetries,
  };
}

/** The URL of the emulator a process without cloud credentials talks to when it does not embed one. */
export function sharedEmulatorUrl(config: Config): string {
  const host = config.emulator.host === '0.0.0.0' ? '127.0.0.1' : config.emulator.host;
  return `http://${host}:${config.emulator.port}`;
}
