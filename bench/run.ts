/**
 * `npm run bench`: every benchmark, each in a process of its own and each beside a baseline measured in the
 * same run, then one table and bench/results/latest.json:
 *
 *   throughput  bench/throughput.ts  pipeline vs a raw five-queue BullMQ chain, zero cloud timings
 *   polling     bench/polling.ts     adaptive ShowJob polling vs fixed 10 s and 2 s, log-normal jobs
 *   memory      bench/memory.ts      10,000 in flight: worker peak RSS, Redis bytes per finished attachment
 *   enqueue     bench/enqueue.ts     a 1,000-item batch through the API vs a raw addBulk
 *   emulator    bench/emulator.ts    signed GETs per emulator CPU-second vs a trivial node:http server
 *
 * latest.json keeps exactly the keys of issue 7 (plus `emulator`); each bench also writes its own file with
 * details. 6–8 minutes on a 2-core machine; `--quick` runs smaller sizes (a smoke test, not figures to publish:
 * its files are bench/results/*.tmp.json and latest.json is left alone); `--only throughput,polling` runs some.
 *
 *   npm run bench [-- --quick] [-- --only memory]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { readResult, RESULTS_DIR, resultName, ROOT, round, writeResult } from './lib.js';
import type { ThroughputDetails, ThroughputResult } from './throughput.js';
import type { PollingResult } from './polling.js';
import type { MemoryResult } from './memory.js';

const NAMES = ['throughput', 'polling', 'memory', 'enqueue', 'emulator'] as const;
type Name = (typeof NAMES)[number];

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = new Set<Name>(onlyArg >= 0 ? ((process.argv[onlyArg + 1] ?? '').split(',') as Name[]) : NAMES);

const QUICK = quick ? ['--quick'] : [];
const ARGS: Record<Name, string[]> = {
  throughput: quick ? ['--attachments', '300', '--rounds', '1', ...QUICK] : ['--attachments', '1000', '--rounds', '3'],
  polling: quick ? ['--attachments', '100', '--compress', '8', ...QUICK] : ['--attachments', '300', '--compress', '4'],
  memory: quick ? ['--attachments', '1000', ...QUICK] : ['--attachments', '10000'],
  enqueue: quick ? ['--runs', '3'] : ['--runs', '11'],
  emulator: quick ? ['--seconds', '1', '--warmup', '1'] : ['--seconds', '3', '--warmup', '1'],
};

/** Run bench/<name>.ts in its own process; echo and return what it printed. */
function runBench(name: Name): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${name}.ts`), ...ARGS[name]], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      process.stdout.write(b);
    });
    child.once('exit', (code) => resolve({ code, out }));
  });
}

interface EmulatorResult {
  signed_gets_per_cpu_second: number;
  baseline_gets_per_cpu_second: number;
  ratio: number;
}

/** bench/emulator.ts prints one line per case with "<n> req per server CPU-second"; the worst signed case counts. */
function parseEmulator(out: string): EmulatorResult | undefined {
  const per = (line: string): number => Number(/(\d+) req per server CPU-second/.exec(line)?.[1] ?? Number.NaN);
  const lines = out.split('\n');
  const base = lines.find((l) => l.startsWith('baseline:'));
  const signed = lines.filter((l) => l.startsWith('emulator: signed')).map(per);
  if (!base || signed.length === 0) return undefined;
  const worst = Math.min(...signed);
  return { signed_gets_per_cpu_second: worst, baseline_gets_per_cpu_second: per(base), ratio: round(worst / per(base), 2) };
}

interface Latest {
  throughput?: ThroughputResult;
  polling?: PollingResult;
  memory?: MemoryResult;
  enqueue?: { batch_1000_ms: number; baseline_addbulk_1000_ms: number };
  emulator?: EmulatorResult;
}

async function main(): Promise<void> {
  const started = Date.now();
  const previous = readResult<Latest>('latest') ?? {};
  const latest: Latest = { ...previous };
  const failures: string[] = [];
  for (const name of NAMES) {
    if (!only.has(name)) continue;
    console.log(`\n=== ${name}${quick ? ' (quick)' : ''}`);
    // bench/enqueue.ts always writes enqueue.json: keep the published one through a quick run.
    const keep = quick && name === 'enqueue' ? readFileSync(`${RESULTS_DIR}/enqueue.json`, 'utf8') : undefined;
    const { code, out } = await runBench(name);
    const quickEnqueue = keep === undefined ? undefined : readResult<{ enqueue: { batch_1000_ms: number; baseline_addbulk_1000_ms: number } }>('enqueue');
    if (keep !== undefined) writeFileSync(`${RESULTS_DIR}/enqueue.json`, keep);
    if (name === 'emulator') {
      const e = parseEmulator(out);
      if (e) latest.emulator = e;
      else failures.push('emulator: no figures');
      continue;
    }
    if (code !== 0) {
      failures.push(`${name}: exited ${String(code)}`);
      continue;
    }
    if (name === 'throughput') {
      const r = readResult<{ throughput: ThroughputResult }>(resultName('throughput'))?.throughput;
      if (r) latest.throughput = { attachments_per_s: r.attachments_per_s, baseline_per_s: r.baseline_per_s, ratio: r.ratio, cloud_calls_per_attachment: r.cloud_calls_per_attachment };
    } else if (name === 'polling') {
      const r = readResult<{ polling: PollingResult }>(resultName('polling'))?.polling;
      if (r) latest.polling = r;
    } else if (name === 'memory') {
      const r = readResult<{ memory: MemoryResult }>(resultName('memory'))?.memory;
      if (r) latest.memory = r;
    } else if (name === 'enqueue') {
      const r = (quickEnqueue ?? readResult<{ enqueue: { batch_1000_ms: number; baseline_addbulk_1000_ms: number } }>('enqueue'))?.enqueue;
      if (r) latest.enqueue = { batch_1000_ms: r.batch_1000_ms, baseline_addbulk_1000_ms: r.baseline_addbulk_1000_ms };
    }
  }

  const t = latest.throughput;
  // Not a key of latest.json (issue 7 names its keys): the raw chain making the pipeline's own cloud calls, from
  // the throughput bench's own file — it shows what the bookkeeping costs apart from the extra calls.
  const same = readResult<{ throughput: ThroughputDetails }>(resultName('throughput'))?.throughput;
  const p = latest.polling;
  const m = latest.memory;
  const q = latest.enqueue;
  const e = latest.emulator;
  const rows: Array<[string, string, string, string, boolean | undefined]> = [
    ['throughput (attachments/s)', t ? `${t.attachments_per_s}` : '–', t ? `${t.baseline_per_s} raw chain` : '–', 'ratio ≥ 0.6', t ? t.ratio >= 0.6 : undefined],
    ['  ratio; cloud calls per attachment', t ? `${t.ratio}; ${t.cloud_calls_per_attachment}` : '–', '3 (raw chain)', '', undefined],
    ['  vs raw chain making the same calls', same?.same_calls_ratio !== undefined ? `${same.same_calls_ratio}` : '–', same?.same_calls_baseline_per_s !== undefined ? `${same.same_calls_baseline_per_s}/s` : '–', '(not a target)', undefined],
    ['polling: mean detection lag (ms)', p ? `${p.mean_detection_lag_ms}` : '–', p ? `${p.fixed_2s.lag_ms} (2 s) / ${p.fixed_10s.lag_ms} (10 s)` : '–', '≤ fixed 2 s', p ? p.mean_detection_lag_ms <= p.fixed_2s.lag_ms : undefined],
    ['polling: ShowJob calls per attachment', p ? `${p.showjob_calls_per_attachment}` : '–', p ? `${p.fixed_2s.calls} (2 s) / ${p.fixed_10s.calls} (10 s)` : '–', '≤ 75 % of fixed 2 s', p ? p.showjob_calls_per_attachment <= 0.75 * p.fixed_2s.calls : undefined],
    ['memory: worker peak RSS (MB)', m ? `${m.worker_peak_rss_mb}` : '–', `${m?.in_flight ?? '–'} in flight`, '≤ 300', m ? m.worker_peak_rss_mb <= 300 : undefined],
    ['memory: Redis per finished attachment (B)', m ? `${m.redis_bytes_per_attachment}` : '–', '', '≤ 4096', m ? m.redis_bytes_per_attachment <= 4096 : undefined],
    ['enqueue 1,000 (ms)', q ? `${q.batch_1000_ms}` : '–', q ? `${q.baseline_addbulk_1000_ms} raw addBulk` : '–', '≤ 2× raw', q ? q.batch_1000_ms <= 2 * q.baseline_addbulk_1000_ms : undefined],
    ['emulator signed GETs per CPU-second', e ? `${e.signed_gets_per_cpu_second}` : '–', e ? `${e.baseline_gets_per_cpu_second} trivial server` : '–', '≥ 2000', e ? e.signed_gets_per_cpu_second >= 2000 : undefined],
  ];
  console.log('\n=== summary');
  const w = [42, 14, 30, 20];
  console.log(`${'figure'.padEnd(w[0] ?? 0)} ${'measured'.padEnd(w[1] ?? 0)} ${'baseline (same run)'.padEnd(w[2] ?? 0)} ${'target'.padEnd(w[3] ?? 0)} met`);
  for (const [name, got, base, target, met] of rows) {
    console.log(`${name.padEnd(w[0] ?? 0)} ${got.padEnd(w[1] ?? 0)} ${base.padEnd(w[2] ?? 0)} ${target.padEnd(w[3] ?? 0)} ${met === undefined ? '' : met ? 'yes' : 'NO'}`);
  }
  if (quick) {
    console.log('\n--quick: smaller sizes; bench/results/latest.json left as it was.');
  } else {
    console.log(`\nwritten to ${writeResult('latest', latest)}`);
  }
  console.log(`took ${Math.round((Date.now() - started) / 1000)} s`);
  if (failures.length > 0) {
    console.error(`some benchmarks did not produce figures: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
