/**
 * What the benchmarks share: a private redis-server (nothing else touches it, so figures and INFO memory
 * deltas are this run's alone), the emulator in a child process of its own (`nic-attach emulator`, so its CPU is
 * not the measured process's), its control API over HTTP, a cloud client for it, a few statistics, and the
 * results files under bench/results/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { CloudClientOptions } from '../src/cloud/client.js';
import type { ServerDetail } from '../src/cloud/types.js';
import type { EmulatorConfigPatch, EmulatorState } from '../src/emulator/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

export const EMULATOR_CREDS = { projectId: '0123456789abcdef0123456789abcdef', accessKey: 'AKBENCH0000000000001', secretKey: 'SKbenchSecretKey00000000000000000001' };

export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/** A redis-server of this run: no persistence (the figures are the service's, not the disk's), noeviction. */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nic-attach-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        r.disconnect();
      }
    },
    10_000,
    'the private redis-server',
  );
  return {
    url,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ChildEmulator {
  url: string;
  cloudOptions: CloudClientOptions;
  control: {
    reset(): Promise<void>;
    configure(patch: EmulatorConfigPatch): Promise<void>;
    createServer(opts?: { name?: string; vpc_id?: string; max_nics?: number }): Promise<ServerDetail>;
    state(): Promise<EmulatorState>;
  };
  /** CPU seconds the emulator process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function processCpuSeconds(pid: number): number {
  try {
    // /proc/<pid>/stat fields 14 and 15: utime, stime in clock ticks (100/s on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The emulator in a child process of its own (./emulator-process.ts: zero timings, large quotas); its control API. */
export async function startChildEmulator(): Promise<ChildEmulator> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'emulator-process.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the emulator process exited (${String(code)})`)));
  });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/_emulator${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    url,
    cloudOptions: {
      ecsEndpoint: url,
      vpcEndpoint: url,
      projectId: EMULATOR_CREDS.projectId,
      credentials: { kind: 'aksk', accessKey: EMULATOR_CREDS.accessKey, secretKey: EMULATOR_CREDS.secretKey },
      timeoutMs: 30_000,
      getRetries: 2,
    },
    control: {
      reset: async () => {
        await call('POST', '/reset');
      },
      configure: async (patch) => {
        await call('PUT', '/config', patch);
      },
      createServer: async (opts = {}) => (await call<{ server: ServerDetail }>('POST', '/servers', opts)).server,
      state: () => call<EmulatorState>('GET', '/state'),
    },
    cpuSeconds: () => processCpuSeconds(child.pid ?? -1),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Servers spread over VPCs of at most `perVpc` each (a VPC's primary /24 holds ~250 primary NICs). */
export async function createServers(em: ChildEmulator, n: number, perVpc = 200, name = 'bench'): Promise<ServerDetail[]> {
  const out: ServerDetail[] = [];
  let vpcId: string | undefined;
  for (let i = 0; i < n; i++) {
    if (i % perVpc === 0) vpcId = undefined;
    const s = await em.control.createServer({ name: `${name}-${i}`, ...(vpcId ? { vpc_id: vpcId } : {}) });
    vpcId ??= s.metadata.vpc_id;
    out.push(s);
  }
  return out;
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : sum(xs) / xs.length;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** `--quick` runs write bench/results/<name>.tmp.json (ignored by git), so a smoke run never replaces figures. */
export function resultName(name: string): string {
  return process.argv.includes('--quick') ? `${name}.tmp` : name;
}

/** Write bench/results/<name>.json. */
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function readResult<T>(name: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Peak and current resident set of a process (Linux /proc), in MB. */
export function rssOf(pid: number): { peakMb: number; nowMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakMb: kb('VmHWM') / 1024, nowMb: kb('VmRSS') / 1024 };
  } catch {
    return { peakMb: Number.NaN, nowMb: Number.NaN };
  }
}
