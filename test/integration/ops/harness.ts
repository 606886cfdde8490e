/**
 * A whole app for operations tests: createApp with the roles asked for (default: embedded emulator, events,
 * workers, API) on config/test.json with a fresh key prefix and free ports; `call` speaks HTTP to its API
 * with the test key; `metric` reads one sample from /metrics text. `stop()` stops the app and drops the prefix.
 */
import { createApp, type App } from '../../../src/app/create-app.js';
import type { RoleName } from '../../../src/app/role.js';
import type { ApiRole } from '../../../src/app/roles/api.js';
import type { EmulatorRole } from '../../../src/app/roles/emulator.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import type { EmulatorControl } from '../../../src/emulator/types.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';

export const TEST_KEY = 'test-key';

export interface OpsApp {
  app: App;
  config: Config;
  /** The API's base URL (undefined without the api role). */
  url: string | undefined;
  /** The embedded emulator's control (undefined without the emulator role). */
  control: EmulatorControl | undefined;
  call<T = Record<string, unknown>>(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; key?: string | null }): Promise<{ status: number; body: T; text: string; headers: Headers }>;
  stop(opts?: { keepPrefix?: boolean }): Promise<void>;
}

export function opsConfig(prefix: string, overrides: Record<string, unknown> = {}): Config {
  return loadConfig({ env: { APP_ENV: 'test', REDIS_URL: TEST_REDIS_URL }, overrides: { redis: { prefix }, ...overrides } });
}

export async function startOpsApp(opts: { roles?: RoleName[]; prefix?: string; overrides?: Record<string, unknown>; config?: Config } = {}): Promise<OpsApp> {
  const prefix = opts.prefix ?? freshPrefix('ops');
  const config = opts.config ?? opsConfig(prefix, opts.overrides);
  const app = createApp(config, { roles: opts.roles ?? ['emulator', 'events', 'workers', 'api'], logger: silentLogger() });
  await app.start();
  const url = app.role<ApiRole>('api')?.url;
  return {
    app,
    config,
    url,
    control: app.role<EmulatorRole>('emulator')?.emulator.control,
    async call<T>(method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {}) {
      if (!url) throw new Error('this app has no API');
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const key = o.key === undefined ? TEST_KEY : o.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, redirect: 'manual', ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) });
      const text = await res.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body: body as T, text, headers: res.headers };
    },
    async stop(o = {}) {
      await app.stop();
      if (!o.keepPrefix) await dropPrefix(config.redis.url, config.redis.prefix);
    },
  };
}

/** One sample of a Prometheus text exposition: the value of `name` with exactly these labels (any order), or undefined. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[part[1] as string] = part[2] as string;
    const want = Object.entries(labels);
    if (want.length !== Object.keys(got).length) continue;
    if (want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
