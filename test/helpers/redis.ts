/**
 * Redis for tests: the machine's Redis with a fresh key prefix per test (no state shared between runs), or a
 * private redis-server the test starts itself (for restarts and faults that must not touch the shared one).
 */
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other run uses: `t-<random>`, a hash tag so Cluster-style multi-key scripts stay legal. */
export function freshPrefix(label = 't'): string {
  return `{${label}-${randomBytes(5).toString('hex')}}`;
}

/** Delete every key under a prefix (call from `after`). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stop (SHUTDOWN NOSAVE) and wait for the process to exit. */
  stop(): Promise<void>;
  /** Start again on the same port (after stop). */
  start(): Promise<void>;
  /** Kill and start again: a Redis restart as an operator would see it (data kept only if AOF is on). */
  restart(): Promise<void>;
  /** Stop and delete its data folder (call from `after`). */
  dispose(): Promise<void>;
}

/** Start a private redis-server on a free port, with AOF so that a restart keeps the data. */
export async function startPrivateRedis(opts: { appendonly?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nic-attach-redis-'));
  let proc: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const start = async (): Promise<void> => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', opts.appendonly === false ? 'no' : 'yes', '--appendfsync', 'always', '--dir', dir, '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined); // a refused probe while the server starts is expected
      try {
        await r.connect();
        if ((await r.ping()) === 'PONG') {
          r.disconnect();
          return;
        }
      } catch {
        r.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`private redis-server on ${port} did not start`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((res) => p.once('exit', () => res()));
    p.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url,
    port,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
