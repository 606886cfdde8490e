/**
 * Benchmark: signed GETs per second that the emulator answers on one core, against a baseline of a trivial
 * unsigned node:http GET server measured in the same run and the same way.
 *
 * Each server runs alone in a child process (one JS thread); load comes from worker threads of this process on
 * keep-alive connections, signing every request as the Node SDK does. Two figures per case:
 * - wall req/s: answered requests / elapsed seconds (depends on what else the machine is doing);
 * - req per server CPU-second: answered requests / CPU seconds the server process used — its capacity on one
 *   core, which stays meaningful on a busy machine. The target (issue 3) applies to this one: ≥ 2,000.
 *
 *   npx tsx bench/emulator.ts [--seconds 3] [--warmup 1] [--connections 32] [--workers 2]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { formatSdkDate, signRequest } from '../src/cloud/signer.js';
import { createEmulator } from '../src/emulator/index.js';

const CREDS = { projectId: '0123456789abcdef0123456789abcdef', accessKey: 'AKBENCH0000000000001', secretKey: 'SKbenchSecretKey' };

interface Load {
  url: string;
  paths: string[];
  seconds: number;
  connections: number;
  signed: boolean;
}

interface LoadResult {
  ok: number;
  failed: number;
  elapsedMs: number;
}

/**
 * Signed headers for GET `path`, signed as the Node SDK does. X-Sdk-Date has a one-second resolution, so the
 * headers are reused within the same second (the server still verifies every request in full).
 */
const signedCache = new Map<string, { date: string; headers: Record<string, string> }>();
function signedHeaders(path: string, url: string): Record<string, string> {
  const date = formatSdkDate(Date.now());
  const hit = signedCache.get(path);
  if (hit?.date === date) return hit.headers;
  const headers = signRequest({
    method: 'GET',
    url: new URL(path, url),
    headers: { 'Content-Type': 'application/json', 'X-Project-Id': CREDS.projectId },
    body: '',
    accessKey: CREDS.accessKey,
    secretKey: CREDS.secretKey,
    sdkDate: date,
  });
  signedCache.set(path, { date, headers });
  return headers;
}

/** Worker side: `connections` loops of sequential GETs until the deadline. */
async function runLoad(load: Load): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const target = new URL(load.url);
  const started = Date.now();
  const deadline = started + load.seconds * 1000;
  let ok = 0;
  let failed = 0;
  let n = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const path = load.paths[n++ % load.paths.length] ?? '/';
      const headers = load.signed ? signedHeaders(path, load.url) : { 'Content-Type': 'application/json' };
      const req = request({ host: target.hostname, port: target.port, path, method: 'GET', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline) await one();
  };
  await Promise.all(Array.from({ length: load.connections }, loop));
  agent.destroy();
  return { ok, failed, elapsedMs: Date.now() - started };
}

/** Child side: start one server, tell the parent where, answer CPU-usage queries. */
async function serve(kind: string): Promise<void> {
  let url: string;
  let paths: string[];
  if (kind === 'baseline') {
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    paths = ['/'];
  } else {
    const emulator = createEmulator({ ...CREDS, timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 0, max: 0 } } });
    url = (await emulator.listen()).url;
    const server = emulator.control.createServer({ name: 'bench' });
    for (let i = 0; i < 50; i++) emulator.control.createServer({ name: `filler-${i}` });
    const base = `/v1/${CREDS.projectId}`;
    paths =
      kind === 'ShowVpc'
        ? [`${base}/vpcs/${server.metadata.vpc_id ?? ''}`]
        : kind === 'ListServerInterfaces'
          ? [`${base}/cloudservers/${server.id}/os-interface`]
          : [`${base}/vpcs/${server.metadata.vpc_id ?? ''}`, `${base}/cloudservers/${server.id}`, `${base}/ports?device_id=${server.id}`];
  }
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.({ url, paths });
}

/** Worker entry: register tsx in the worker, then load this file (Node 20 cannot start a worker on a .ts URL). */
const WORKER_BOOTSTRAP = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(import.meta.url)});`,
  )}`,
);

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`server process exited (${String(code)})`)));
  });
}

async function cpuSeconds(child: ChildProcess): Promise<number> {
  const p = next<{ cpu: NodeJS.CpuUsage }>(child);
  child.send('cpu');
  const { cpu } = await p;
  return (cpu.user + cpu.system) / 1e6;
}

async function measure(label: string, kind: string, signed: boolean, o: { seconds: number; warmup: number; connections: number; workers: number }): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], { execArgv: ['--import', 'tsx'] });
  try {
    const { url, paths } = await next<{ url: string; paths: string[] }>(child);
    const per = Math.max(1, Math.floor(o.connections / o.workers));
    const pool = await Promise.all(
      Array.from(
        { length: o.workers },
        () =>
          new Promise<Worker>((resolve, reject) => {
            const w = new Worker(WORKER_BOOTSTRAP, { workerData: { url, paths, seconds: o.seconds, connections: per, signed } satisfies Load });
            w.once('message', () => resolve(w)); // 'ready'
            w.once('error', reject);
          }),
      ),
    );
    const round = (seconds: number): Promise<LoadResult[]> =>
      Promise.all(
        pool.map(
          (w) =>
            new Promise<LoadResult>((resolve, reject) => {
              w.once('message', (r: LoadResult) => resolve(r));
              w.once('error', reject);
              w.postMessage(seconds);
            }),
        ),
      );
    await round(o.warmup); // JIT warm-up, not counted
    const cpu0 = await cpuSeconds(child);
    const results = await round(o.seconds);
    const cpu = (await cpuSeconds(child)) - cpu0;
    await Promise.all(pool.map((w) => w.terminate()));
    const ok = results.reduce((a, r) => a + r.ok, 0);
    const failed = results.reduce((a, r) => a + r.failed, 0);
    const seconds = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
    const perCore = ok / cpu;
    console.log(
      `${label.padEnd(46)} ${(ok / seconds).toFixed(0).padStart(7)} req/s wall  ${perCore.toFixed(0).padStart(7)} req per server CPU-second` +
        `  (${ok} ok, ${failed} failed, ${seconds.toFixed(1)} s, server CPU ${cpu.toFixed(2)} s)`,
    );
    if (failed > 0) throw new Error(`${label}: ${failed} requests failed`);
    return perCore;
  } finally {
    child.kill();
  }
}

async function main(): Promise<void> {
  const o = { seconds: arg('seconds', 3), warmup: arg('warmup', 1), connections: arg('connections', 32), workers: arg('workers', 2) };
  console.log(`emulator benchmark: ${o.seconds} s per case after ${o.warmup} s of warm-up, ${o.connections} keep-alive connections from ${o.workers} worker threads; each server alone in a child process`);
  const base = await measure('baseline: trivial unsigned node:http GET', 'baseline', false, o);
  const results: Array<[string, number]> = [];
  for (const kind of ['ShowVpc', 'ListServerInterfaces', 'mixed']) {
    results.push([kind, await measure(`emulator: signed ${kind === 'mixed' ? 'ShowVpc/ShowServer/ListPorts' : kind}`, kind, true, o)]);
  }
  for (const [kind, perCore] of results) console.log(`ratio ${kind} / baseline (per server CPU-second): ${(perCore / base).toFixed(2)}`);
  const worst = Math.min(...results.map(([, v]) => v));
  console.log(
    worst >= 2000
      ? `target met: ≥ 2,000 signed GETs/s on one core (worst case ${worst.toFixed(0)})`
      : `TARGET MISSED: ${worst.toFixed(0)} < 2,000 signed GETs/s on one core`,
  );
  if (worst < 2000) process.exitCode = 1;
}

// Entry: `--serve <kind>` runs a server (child process); worker threads run the load; otherwise run the benchmark.
if (!isMainThread) {
  parentPort?.on('message', (seconds: number) => {
    void runLoad({ ...(workerData as Load), seconds }).then((r) => parentPort?.postMessage(r));
  });
  parentPort?.postMessage('ready');
} else if (process.argv.includes('--serve')) {
  await serve(process.argv[process.argv.indexOf('--serve') + 1] ?? 'baseline');
} else {
  await main();
}
