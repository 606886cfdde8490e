/**
 * The demo's configuration: the normal config (so REDIS_URL and LOG_LEVEL still apply) with the demo's own
 * choices on top — its own key prefix (dropped at the end), the embedded emulator even when cloud credentials
 * are set, free ports, a generated API key and webhook secret, loopback webhooks allowed, and short but
 * realistic timings (a VPC/subnet takes a few hundred ms to become ready, an ECS job about a second).
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { generateSecret } from '../../events/signing.js';

/** ECS job durations in the demo: log-normal around ~0.9 s, clipped to 0.3–3 s (the cloud takes ~8 s). */
export const DEMO_JOB_MS = { min: 300, max: 3_000, median: 900, sigma: 0.4 };

export interface DemoSettings {
  config: Config;
  apiKey: string;
}

export function demoConfig(opts: { configDir?: string; verbose?: boolean }): DemoSettings {
  const apiKey = `demo_${randomBytes(12).toString('hex')}`;
  const base = loadConfig(opts.configDir ? { configDir: opts.configDir } : {});
  const config = loadConfig({
    ...(opts.configDir ? { configDir: opts.configDir } : {}),
    overrides: {
      log: { level: opts.verbose ? 'info' : base.log.level === 'info' ? 'error' : base.log.level },
      redis: { prefix: `{nicattach-demo-${randomBytes(4).toString('hex')}}` },
      cloud: { ak: '', sk: '', securityToken: '', authToken: '', projectId: '', ecsEndpoint: '', vpcEndpoint: '', rateLimitRps: 200 },
      api: { host: '127.0.0.1', port: 0, keys: [apiKey] },
      emulator: { host: '127.0.0.1', port: 0, seedDemo: false, vpcReadyMs: 300, subnetReadyMs: 500, jobMinMs: DEMO_JOB_MS.min, jobMaxMs: DEMO_JOB_MS.max },
      workflow: { waitDelayMs: 200, pollMinDelayMs: 100, pollInitialExpectedMs: 1_000, pollTargetLagMs: 200, backoffBaseMs: 200, backoffMaxMs: 2_000 },
      webhook: { allowPrivate: true, secret: generateSecret(), retrySchedule: '200ms,500ms,1s,2s', timeoutMs: 2_000 },
      workers: { shutdownTimeoutMs: 5_000 },
    },
  });
  return { config, apiKey };
}
