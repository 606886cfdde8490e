/**
 * The emulator for tests: an in-process emulator listening on a free loopback port, with zero timings and no
 * faults unless asked, the cloud-client options that point at it, and its HTTP control API (/_emulator) over
 * fetch. Always `await stop()` in `after` (it closes the server and every socket).
 */
import { createEmulator } from '../../src/emulator/index.js';
import type {
  CreateServerOptions,
  Emulator,
  EmulatorConfigPatch,
  EmulatorConfigView,
  EmulatorOptions,
  EmulatorState,
} from '../../src/emulator/types.js';
import type { CloudClientOptions } from '../../src/cloud/client.js';
import type { ServerDetail } from '../../src/cloud/types.js';

export type { EmulatorOptions, EmulatorState, EmulatorConfigPatch } from '../../src/emulator/types.js';

export const TEST_PROJECT_ID = '0123456789abcdef0123456789abcdef';
export const TEST_ACCESS_KEY = 'AKTESTEMULATOR000001';
export const TEST_SECRET_KEY = 'SKtestEmulatorSecretKey00000000000000001';

/** The HTTP control API of design.md §4, spoken over fetch. */
export interface EmulatorHttpControl {
  reset(): Promise<void>;
  createServer(opts?: CreateServerOptions): Promise<ServerDetail>;
  configure(patch: EmulatorConfigPatch): Promise<EmulatorConfigView>;
  config(): Promise<EmulatorConfigView>;
  state(): Promise<EmulatorState>;
  updateServer(id: string, patch: { status?: string; locked?: boolean }): Promise<ServerDetail>;
}

export interface TestEmulator {
  emulator: Emulator;
  url: string;
  credentials: { accessKey: string; secretKey: string; projectId: string };
  cloudOptions: CloudClientOptions;
  control: EmulatorHttpControl;
  stop(): Promise<void>;
}

export function httpControl(url: string): EmulatorHttpControl {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${url}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path} → ${res.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
  return {
    reset: async () => {
      await call('POST', '/reset');
    },
    createServer: async (opts = {}) => (await call<{ server: ServerDetail }>('POST', '/servers', opts)).server,
    configure: (patch) => call<EmulatorConfigView>('PUT', '/config', patch),
    config: () => call<EmulatorConfigView>('GET', '/config'),
    state: () => call<EmulatorState>('GET', '/state'),
    updateServer: async (id, patch) =>
      (await call<{ server: ServerDetail }>('PATCH', `/servers/${encodeURIComponent(id)}`, patch)).server,
  };
}

export async function startTestEmulator(opts: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const credentials = {
    accessKey: opts.accessKey ?? TEST_ACCESS_KEY,
    secretKey: opts.secretKey ?? TEST_SECRET_KEY,
    projectId: opts.projectId ?? TEST_PROJECT_ID,
  };
  const emulator = createEmulator({
    ...opts,
    ...credentials,
    timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 0, max: 0 }, ...opts.timings },
    faults: { error_rate: 0, throttle_rps: 0, latency_ms: 0, drop_response_rate: 0, job_fail_rate: 0, ...opts.faults },
  });
  const { url } = await emulator.listen({ host: '127.0.0.1', port: 0 });
  return {
    emulator,
    url,
    credentials,
    cloudOptions: {
      ecsEndpoint: url,
      vpcEndpoint: url,
      projectId: credentials.projectId,
      credentials: { kind: 'aksk', accessKey: credentials.accessKey, secretKey: credentials.secretKey },
      timeoutMs: 5000,
      getRetries: 2,
    },
    control: httpControl(url),
    stop: () => emulator.close(),
  };
}
