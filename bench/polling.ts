/**
 * Benchmark: how fast the poller notices that an ECS job ended, and how many ShowJob calls it spends, against
 * fixed-interval polling measured in the same run.
 *
 * ECS job durations are log-normal, median 8 s, σ 0.4, clipped to 2–60 s (the emulator draws them; the
 * workers are not told). Time is compressed by --compress (default 4: a "second" lasts 250 ms; every duration
 * and every poll setting is divided by it, and lags are multiplied back). 300 attachments arrive in waves
 * (10 every 3.5 s of cloud time) through the real pipeline, each on its own server, so the adaptive poller
 * starts knowing nothing and learns from the jobs that end as it goes. The emulator is seeded identically for
 * every variant, so they meet (nearly) the same job durations.
 *
 *   adaptive   the service's poll schedule with its default settings (first poll 0.8 × 5 s; once 5 jobs have
 *              ended, the learned hazard schedule aiming at a 1 s mean lag; delays clamped to 0.25–10 s)
 *   fixed_10s  every poll 10 s after the previous one (what the Terraform provider does)
 *   fixed_2s   every 2 s
 * The fixed ones are the same pipeline with POLL_MIN_DELAY_MS = POLL_MAX_DELAY_MS = the interval, which the
 * schedule clamps every delay to. Detection lag = when the poll stage ended (ShowJob saw SUCCESS, the NIC was
 * confirmed) − the job's end_time; calls = ShowJob calls the emulator served / attachments.
 * Target: adaptive mean lag ≤ the fixed-2 s lag, with at most 75 % of its calls.
 *
 *   npx tsx bench/polling.ts [--attachments 300] [--compress 4] [--target-lag 1000]   → bench/results/polling.json
 *   (--target-lag: the adaptive variant's POLL_TARGET_LAG_MS instead of the default, to see what a setting gives)
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/lib/logger.js';
import { createProducer } from '../src/queues/producer.js';
import { startWorkflowWorkers } from '../src/queues/workers.js';
import { createKeys } from '../src/workflow/keys.js';
import type { AttachmentRecord } from '../src/workflow/types.js';
import { arg, createServers, mean, resultName, round, startChildEmulator, startRedis, waitFor, writeResult, type ChildEmulator } from './lib.js';

const JOB_SEED = 20_261_126;

interface Variant {
  name: 'adaptive' | 'fixed_10s' | 'fixed_2s';
  /** Poll settings in cloud time (ms), before compression. */
  poll: { pollMinDelayMs: number; pollMaxDelayMs: number; pollInitialExpectedMs: number; pollTargetLagMs: number };
}

const VARIANTS: Variant[] = [
  { name: 'adaptive', poll: { pollMinDelayMs: 250, pollMaxDelayMs: 10_000, pollInitialExpectedMs: 5_000, pollTargetLagMs: 1_000 } },
  { name: 'fixed_10s', poll: { pollMinDelayMs: 10_000, pollMaxDelayMs: 10_000, pollInitialExpectedMs: 10_000, pollTargetLagMs: 1_000 } },
  { name: 'fixed_2s', poll: { pollMinDelayMs: 2_000, pollMaxDelayMs: 2_000, pollInitialExpectedMs: 2_000, pollTargetLagMs: 1_000 } },
];

export interface PollingFigures {
  /** ShowJob calls per attachment. */
  calls: number;
  /** Mean detection lag, in cloud-time ms. */
  lag_ms: number;
  p95_lag_ms: number;
  mean_job_ms: number;
}

async function runVariant(em: ChildEmulator, redisUrl: string, v: Variant, n: number, k: number, targetLagMs: number | undefined): Promise<PollingFigures> {
  await em.control.reset();
  // The same seed for every variant: jobs are created in nearly the same order, so the variants poll (nearly) the
  // same durations and the comparison is not blurred by three different draws of 300 jobs.
  await em.control.configure({ seed: JOB_SEED, timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 2_000 / k, max: 60_000 / k, median: 8_000 / k, sigma: 0.4 } } });
  const servers = await createServers(em, n, 100, 'poll');
  const prefix = `{poll-${v.name}}`;
  const poll = v.name === 'adaptive' && targetLagMs ? { ...v.poll, pollTargetLagMs: targetLagMs } : v.poll;
  const scaled = Object.fromEntries(Object.entries(poll).map(([key, ms]) => [key, Math.max(1, Math.round(ms / k))]));
  const config = loadConfig({
    env: { APP_ENV: 'production' },
    overrides: { redis: { url: redisUrl, prefix }, log: { level: 'silent' }, cloud: { rateLimitRps: 1_000_000 }, workflow: { ...scaled, ecsJobDeadlineMs: Math.round(600_000 / k) } },
  });
  const workers = startWorkflowWorkers(config, { logger: silentLogger(), cloudOptions: em.cloudOptions });
  await workers.waitUntilReady();
  const producer = createProducer({ redis: redisUrl, prefix, workflow: config.workflow });
  const probe = new Redis(redisUrl);
  const keys = createKeys(prefix);
  try {
    const ids: string[] = [];
    const wave = 10;
    const gapMs = 3_500 / k;
    for (let i = 0; i < n; i += wave) {
      const t = performance.now();
      const accepted = await producer.attachBatch(servers.slice(i, i + wave).map((s) => ({ server_id: s.id })));
      ids.push(...accepted.attachment_ids);
      const rest = gapMs - (performance.now() - t);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    await waitFor(
      async () => {
        const [ok, failed] = await Promise.all([probe.zcard(keys.byStatus('succeeded')), probe.zcard(keys.byStatus('failed'))]);
        if (failed > 0) throw new Error(`${failed} attachments failed (${v.name})`);
        return ok === n ? true : undefined;
      },
      300_000,
      `the ${v.name} round`,
      20,
    );
    const records = (await producer.getMany(ids)).filter((r): r is AttachmentRecord => r !== null);
    const state = await em.control.state();
    const jobs = new Map(state.jobs.map((j) => [j.job_id, j]));
    const lags: number[] = [];
    const durations: number[] = [];
    for (const r of records) {
      const job = r.ecs_job_id ? jobs.get(r.ecs_job_id) : undefined;
      const detected = r.stages.poll?.finished_at;
      if (!job?.end_time || !job.begin_time || !detected) throw new Error(`attachment ${r.id}: no job end or detection time`);
      lags.push((Date.parse(detected) - Date.parse(job.end_time)) * k);
      durations.push((Date.parse(job.end_time) - Date.parse(job.begin_time)) * k);
    }
    lags.sort((a, b) => a - b);
    return {
      calls: round(state.calls.ShowJob / n, 2),
      lag_ms: Math.round(mean(lags)),
      p95_lag_ms: Math.round(lags[Math.floor(0.95 * (lags.length - 1))] ?? Number.NaN),
      mean_job_ms: Math.round(mean(durations)),
    };
  } finally {
    await producer.close();
    await workers.close();
    probe.disconnect();
  }
}

export interface PollingResult {
  showjob_calls_per_attachment: number;
  mean_detection_lag_ms: number;
  fixed_10s: { calls: number; lag_ms: number };
  fixed_2s: { calls: number; lag_ms: number };
}

export async function benchPolling(opts: { attachments: number; compress: number; targetLagMs?: number; log: (line: string) => void }): Promise<{ result: PollingResult; details: Record<string, PollingFigures> }> {
  const redis = await startRedis();
  const em = await startChildEmulator();
  try {
    opts.log(`polling: ${opts.attachments} attachments, ECS jobs log-normal (median 8 s, σ 0.4, 2–60 s), time compressed ${opts.compress}×; figures in cloud time`);
    const details: Record<string, PollingFigures> = {};
    for (const v of VARIANTS) {
      details[v.name] = await runVariant(em, redis.url, v, opts.attachments, opts.compress, opts.targetLagMs);
      const d = details[v.name] as PollingFigures;
      opts.log(`  ${v.name.padEnd(9)} ShowJob calls ${d.calls.toFixed(2)} per attachment, detection lag mean ${d.lag_ms} ms (p95 ${d.p95_lag_ms} ms); mean job ${d.mean_job_ms} ms`);
    }
    const a = details.adaptive as PollingFigures;
    const f10 = details.fixed_10s as PollingFigures;
    const f2 = details.fixed_2s as PollingFigures;
    return {
      result: {
        showjob_calls_per_attachment: a.calls,
        mean_detection_lag_ms: a.lag_ms,
        fixed_10s: { calls: f10.calls, lag_ms: f10.lag_ms },
        fixed_2s: { calls: f2.calls, lag_ms: f2.lag_ms },
      },
      details,
    };
  } finally {
    await em.stop();
    await redis.stop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const target = arg('target-lag', 0);
  const { result, details } = await benchPolling({ attachments: arg('attachments', 300), compress: arg('compress', 4), ...(target > 0 ? { targetLagMs: target } : {}), log: (l) => console.log(l) });
  const ok = result.mean_detection_lag_ms <= result.fixed_2s.lag_ms && result.showjob_calls_per_attachment <= 0.75 * result.fixed_2s.calls;
  console.log(`  target (lag ≤ fixed 2 s lag, calls ≤ 75 % of its calls): ${ok ? 'met' : 'MISSED'}`);
  console.log(`  written to ${writeResult(resultName('polling'), { polling: result, details, measured_at: new Date().toISOString() })}`);
}
