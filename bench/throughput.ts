/**
 * Benchmark: end-to-end attachments per second into an existing subnet, on the emulator with zero timings,
 * against a bare baseline measured in the same run:
 *
 *   pipeline  the real thing: the producer library writes the records and the first jobs (batches of 1,000),
 *             the workflow workers (startWorkflowWorkers, default concurrency) run network → subnet → port →
 *             attach → poll with records, locks, leases, the shared rate limiter and completion events;
 *   baseline  a raw BullMQ chain of five queues with the same concurrency whose processors only make the
 *             minimal calls of the documented flow — CreatePort, BatchAddServerNics, ShowJob — with the same
 *             cloud client against the same emulator, and add the next job: no records, locks, leases or events.
 *   same-calls the same raw chain making the pipeline's own cloud calls (also ShowServer and ListServerInterfaces
 *             before the port, ListServerInterfaces after SUCCESS): not a target, it splits the pipeline's
 *             cost into what its extra cloud calls cost and what its bookkeeping (records, leases, events)
 *             costs — `same_calls_ratio` is the pipeline against it.
 *
 * One attachment per server (so the per-server lease never makes anyone wait: what is measured is cost, not
 * queueing). The emulator runs in its own process and is reset before each round; both sides use a private
 * redis-server. Rounds alternate (baseline, pipeline) after a warm-up of each; the figure is the median. The
 * pipeline keeps one key prefix for all its rounds, so its poll schedule has learned the (instant) job durations.
 *
 *   npx tsx bench/throughput.ts [--attachments 1000] [--rounds 3] [--timeline]     → bench/results/throughput.json
 *
 * `--timeline` also prints, per pipeline round, when the attachments ended each stage (which stage bounds the rate).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createCloudClient } from '../src/cloud/create-client.js';
import type { ServerDetail } from '../src/cloud/types.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';
import { silentLogger } from '../src/lib/logger.js';
import { createProducer } from '../src/queues/producer.js';
import { startWorkflowWorkers } from '../src/queues/workers.js';
import { createKeys } from '../src/workflow/keys.js';
import type { AttachmentRequest } from '../src/workflow/types.js';
import { arg, createServers, median, resultName, round, startChildEmulator, startRedis, waitFor, writeResult, type ChildEmulator } from './lib.js';

const STAGES = ['network', 'subnet', 'port', 'attach', 'poll'] as const;
type Stage = (typeof STAGES)[number];

interface Target {
  server: ServerDetail;
  subnetId: string;
}

/** Servers in VPCs of 200, and in each VPC an existing /20 subnet for the new NICs. */
async function prepare(em: ChildEmulator, n: number): Promise<Target[]> {
  await em.control.reset();
  const servers = await createServers(em, n);
  const cloud = createCloudClient(em.cloudOptions, { logger: silentLogger() });
  const subnets = new Map<string, string>();
  try {
    for (const s of servers) {
      const vpcId = s.metadata.vpc_id as string;
      if (subnets.has(vpcId)) continue;
      const subnet = await cloud.createSubnet({ name: `nics-${subnets.size}`, cidr: '192.168.16.0/20', gateway_ip: '192.168.16.1', vpc_id: vpcId });
      subnets.set(vpcId, subnet.id);
    }
  } finally {
    cloud.close();
  }
  return servers.map((server) => ({ server, subnetId: subnets.get(server.metadata.vpc_id as string) as string }));
}

async function totalCalls(em: ChildEmulator): Promise<number> {
  return Object.values((await em.control.state()).calls).reduce((a, b) => a + b, 0);
}

function benchConfig(url: string, prefix: string): Config {
  return loadConfig({ env: { APP_ENV: 'production' }, overrides: { redis: { url, prefix }, log: { level: 'silent' }, cloud: { rateLimitRps: 1_000_000 } } });
}

/**
 * The pipeline's key prefix, the same for every round (warm-up included): the poll schedule learns ECS job
 * durations per prefix, and a fresh one would make every round wait for the cold guess of the first poll
 * (80 % of pollInitialExpectedMs = 4 s, longer than a whole round) — a one-off after a deploy, not the rate.
 */
const PIPELINE_PREFIX = '{tp}';

/** The real pipeline: producer + workflow workers. Returns attachments/s and cloud calls per attachment. */
async function runPipeline(em: ChildEmulator, redisUrl: string, targets: Target[], round_: string): Promise<{ perS: number; calls: number }> {
  const prefix = PIPELINE_PREFIX;
  const config = benchConfig(redisUrl, prefix);
  const workers = startWorkflowWorkers(config, { logger: silentLogger(), cloudOptions: em.cloudOptions });
  await workers.waitUntilReady();
  const producer = createProducer({ redis: redisUrl, prefix, workflow: config.workflow, batchMaxItems: 1000 });
  const probe = new Redis(redisUrl);
  const keys = createKeys(prefix);
  const calls0 = await totalCalls(em);
  const ok0 = await probe.zcard(keys.byStatus('succeeded'));
  try {
    const items: AttachmentRequest[] = targets.map((t) => ({ server_id: t.server.id, subnet: { id: t.subnetId } }));
    const t0 = performance.now();
    const since = Date.now();
    for (let i = 0; i < items.length; i += 1000) await producer.attachBatch(items.slice(i, i + 1000));
    await waitFor(
      async () => {
        const [ok, failed] = await Promise.all([probe.zcard(keys.byStatus('succeeded')), probe.zcard(keys.byStatus('failed'))]);
        if (failed > 0) throw new Error(`${failed} attachments failed in the pipeline round`);
        return ok - ok0 === items.length ? true : undefined;
      },
      600_000,
      'the pipeline round',
      10,
    );
    const ms = performance.now() - t0;
    if (process.argv.includes('--timeline')) await printTimeline(probe, keys, round_, since);
    return { perS: (items.length / ms) * 1000, calls: ((await totalCalls(em)) - calls0) / items.length };
  } finally {
    await producer.close();
    await workers.close();
    probe.disconnect();
  }
}

interface RedisWork {
  calls: number;
  usec: number;
  since(before: RedisWork): { calls: number; usec: number };
}

/** Commands Redis has executed so far and the CPU time it spent in them (INFO commandstats; scripts' inner calls included). */
async function redisWork(redis: Redis): Promise<RedisWork> {
  let calls = 0;
  let usec = 0;
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_[^:]+:calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(m[1]);
    usec += Number(m[2]);
  }
  return { calls, usec, since: (b) => ({ calls: calls - b.calls, usec: usec - b.usec }) };
}

/**
 * `--timeline`: when the pipeline's attachments ended each stage (ms after the first network stage began:
 * first, median, last) and each stage's own wall time — shows which stage bounds the rate. Printing only.
 */
async function printTimeline(probe: Redis, keys: ReturnType<typeof createKeys>, round_: string, sinceMs: number): Promise<void> {
  // This round's attachments: the index is scored by creation time (earlier rounds share the prefix).
  const ids = await probe.zrangebyscore(keys.byStatus('succeeded'), sinceMs, '+inf');
  const rows = await probe.pipeline(ids.map((id) => ['hget', keys.attachment(id), 'stages'])).exec();
  const ends: Record<string, number[]> = {};
  const took: Record<string, number[]> = {};
  let t0 = Number.POSITIVE_INFINITY;
  for (const [, raw] of rows ?? []) {
    const stages = JSON.parse(String(raw ?? '{}')) as Record<string, { started_at: string; finished_at: string; duration_ms: number }>;
    for (const [stage, t] of Object.entries(stages)) {
      (ends[stage] ??= []).push(Date.parse(t.finished_at));
      (took[stage] ??= []).push(t.duration_ms);
      if (stage === 'network') t0 = Math.min(t0, Date.parse(t.started_at));
    }
  }
  const at = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? Number.NaN;
  console.log(`    timeline ${round_} (ms after the first network stage began: stage ended first / median / last; stage wall time median / p95)`);
  for (const stage of STAGES) {
    const e = ends[stage] ?? [];
    const d = took[stage] ?? [];
    console.log(`      ${stage.padEnd(8)} ${String(at(e, 0) - t0).padStart(6)} ${String(at(e, 0.5) - t0).padStart(6)} ${String(at(e, 1) - t0).padStart(6)}   ${String(at(d, 0.5)).padStart(5)} ${String(at(d, 0.95)).padStart(5)}`);
  }
}

interface BaseData {
  server_id: string;
  subnet_id: string;
  port_id?: string;
  job_id?: string;
}

/**
 * Which cloud calls the bare chain makes: `minimal` the documented flow's three (the baseline);
 * `pipeline` the pipeline's six, sent where the pipeline sends them (the two server reads together).
 */
type ChainCalls = 'minimal' | 'pipeline';

/** The bare chain: five raw BullMQ queues making `calls`, adding the next job — nothing else. */
async function runBaseline(em: ChildEmulator, redisUrl: string, targets: Target[], round_: string, config: Config, calls: ChainCalls = 'minimal'): Promise<{ perS: number; calls: number }> {
  const prefix = `{tb-${round_}}`;
  const sameCalls = calls === 'pipeline';
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const cloud = createCloudClient(em.cloudOptions, { logger: silentLogger() });
  const jobOpts = { removeOnComplete: { age: 3_600, count: 1_000 }, removeOnFail: { age: 7 * 86_400, count: 10_000 }, attempts: 10, backoff: { type: 'fixed', delay: 50 } };
  const queues = Object.fromEntries(STAGES.map((s) => [s, new Queue<BaseData>(`b-${s}`, { connection, prefix, defaultJobOptions: jobOpts })])) as Record<Stage, Queue<BaseData>>;
  let done = 0;
  const processors: Record<Stage, (job: Job<BaseData>) => Promise<void>> = {
    network: async (job) => {
      if (sameCalls) await Promise.all([cloud.showServer(job.data.server_id), cloud.listServerInterfaces(job.data.server_id)]);
      await queues.subnet.add('subnet', job.data, { jobId: `${job.id ?? ''}.s` });
    },
    subnet: async (job) => {
      await queues.port.add('port', job.data, { jobId: `${job.id ?? ''}.p` });
    },
    port: async (job) => {
      const port = await cloud.createPort({ network_id: job.data.subnet_id, name: `base-${job.id ?? ''}` });
      await queues.attach.add('attach', { ...job.data, port_id: port.id }, { jobId: `${job.id ?? ''}.a` });
    },
    attach: async (job) => {
      const accepted = await cloud.batchAddServerNics(job.data.server_id, [{ port_id: job.data.port_id as string }]);
      await queues.poll.add('poll', { ...job.data, job_id: accepted.job_id }, { jobId: `${job.id ?? ''}.j` });
    },
    poll: async (job) => {
      for (;;) {
        const status = (await cloud.showJob(job.data.job_id as string)).status;
        if (status === 'SUCCESS') {
          if (sameCalls) await cloud.listServerInterfaces(job.data.server_id);
          return;
        }
        if (status === 'FAIL') throw new Error('ECS job failed');
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
  const workers = STAGES.map((s) => new Worker<BaseData>(`b-${s}`, processors[s], { connection, prefix, concurrency: config.workers.concurrency[s], removeOnComplete: jobOpts.removeOnComplete }));
  workers[4]?.on('completed', () => {
    done += 1;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const calls0 = await totalCalls(em);
  try {
    const t0 = performance.now();
    for (let i = 0; i < targets.length; i += 1000) {
      await queues.network.addBulk(
        targets.slice(i, i + 1000).map((t, j) => ({ name: 'network', data: { server_id: t.server.id, subnet_id: t.subnetId }, opts: { jobId: `b${round_}-${i + j}` } })),
      );
    }
    await waitFor(() => (done >= targets.length ? true : undefined), 600_000, 'the baseline round', 10);
    const ms = performance.now() - t0;
    return { perS: (targets.length / ms) * 1000, calls: ((await totalCalls(em)) - calls0) / targets.length };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(Object.values(queues).map((q) => q.close()));
    cloud.close();
    connection.disconnect();
  }
}

export interface ThroughputResult {
  attachments_per_s: number;
  baseline_per_s: number;
  ratio: number;
  cloud_calls_per_attachment: number;
}

type Variant = 'baseline' | 'same_calls' | 'pipeline';
const VARIANTS: readonly Variant[] = ['baseline', 'same_calls', 'pipeline'];

/** What one variant's round cost per attachment: CPU ms of this process, of the emulator, of Redis, and Redis commands. */
interface RoundCost {
  benchMs: number;
  emulatorMs: number;
  redisMs: number;
  redisCommands: number;
}

export interface ThroughputDetails extends ThroughputResult {
  baseline_cloud_calls_per_attachment: number;
  /** The raw chain making the pipeline's own cloud calls (not a target: it shows what the bookkeeping costs). */
  same_calls_baseline_per_s: number;
  same_calls_ratio: number;
  rounds: Array<Record<Variant, number>>;
  /** Per attachment, median over the rounds. */
  cost_per_attachment: Record<Variant, RoundCost>;
}

export async function benchThroughput(opts: { attachments: number; rounds: number; log: (line: string) => void }): Promise<ThroughputDetails> {
  const redis = await startRedis();
  const em = await startChildEmulator();
  const config = benchConfig(redis.url, 'unused');
  const stats = new Redis(redis.url);
  const run = (variant: Variant, targets: Target[], round_: string): Promise<{ perS: number; calls: number }> =>
    variant === 'pipeline'
      ? runPipeline(em, redis.url, targets, round_)
      : runBaseline(em, redis.url, targets, round_, config, variant === 'same_calls' ? 'pipeline' : 'minimal');
  /** One round of a variant on fresh servers, with the CPU it cost (this process, the emulator, Redis). */
  const measured = async (variant: Variant, round_: string): Promise<{ perS: number; calls: number; cost: RoundCost }> => {
    const targets = await prepare(em, opts.attachments);
    const before = { em: em.cpuSeconds(), cpu: process.cpuUsage(), redis: await redisWork(stats) };
    const res = await run(variant, targets, round_);
    const cpu = process.cpuUsage(before.cpu);
    const redisUsed = (await redisWork(stats)).since(before.redis);
    const n = opts.attachments;
    return {
      ...res,
      cost: { benchMs: (cpu.user + cpu.system) / 1e3 / n, emulatorMs: ((em.cpuSeconds() - before.em) * 1e3) / n, redisMs: redisUsed.usec / 1e3 / n, redisCommands: redisUsed.calls / n },
    };
  };
  try {
    opts.log(`throughput: ${opts.attachments} attachments into an existing subnet, one per server, emulator with zero timings (own process), private redis-server`);
    // Warm-up (JIT, connections), not counted.
    for (const variant of VARIANTS) await run(variant, await prepare(em, 200), `w${variant}`);
    const rounds: Array<Record<Variant, number>> = [];
    const costs: Record<Variant, RoundCost[]> = { baseline: [], same_calls: [], pipeline: [] };
    const calls: Record<Variant, number> = { baseline: 0, same_calls: 0, pipeline: 0 };
    for (let r = 0; r < opts.rounds; r++) {
      const perS = {} as Record<Variant, number>;
      for (const variant of VARIANTS) {
        const res = await measured(variant, `${variant[0] ?? ''}${r}`);
        perS[variant] = res.perS;
        calls[variant] = res.calls;
        costs[variant].push(res.cost);
        const c = res.cost;
        opts.log(
          `    ${variant.padEnd(10)} ${res.perS.toFixed(0).padStart(4)}/s, ${res.calls.toFixed(1)} calls; per attachment CPU ms: this process ${c.benchMs.toFixed(2)}, emulator ${c.emulatorMs.toFixed(2)}, Redis ${c.redisMs.toFixed(2)} (${c.redisCommands.toFixed(0)} commands)`,
        );
      }
      rounds.push(perS);
      opts.log(`  round ${r + 1}: pipeline/baseline ${(perS.pipeline / perS.baseline).toFixed(2)}, pipeline/same-calls ${(perS.pipeline / perS.same_calls).toFixed(2)}`);
    }
    const med = (v: Variant): number => median(rounds.map((x) => x[v]));
    const medCost = (v: Variant): RoundCost => {
      const of = (k: keyof RoundCost): number => round(median(costs[v].map((c) => c[k])), 2);
      return { benchMs: of('benchMs'), emulatorMs: of('emulatorMs'), redisMs: of('redisMs'), redisCommands: round(median(costs[v].map((c) => c.redisCommands)), 0) };
    };
    return {
      attachments_per_s: round(med('pipeline'), 1),
      baseline_per_s: round(med('baseline'), 1),
      ratio: round(med('pipeline') / med('baseline'), 2),
      cloud_calls_per_attachment: round(calls.pipeline, 2),
      baseline_cloud_calls_per_attachment: round(calls.baseline, 2),
      same_calls_baseline_per_s: round(med('same_calls'), 1),
      same_calls_ratio: round(med('pipeline') / med('same_calls'), 2),
      rounds: rounds.map((x) => ({ baseline: round(x.baseline, 1), same_calls: round(x.same_calls, 1), pipeline: round(x.pipeline, 1) })),
      cost_per_attachment: { baseline: medCost('baseline'), same_calls: medCost('same_calls'), pipeline: medCost('pipeline') },
    };
  } finally {
    stats.disconnect();
    await em.stop();
    await redis.stop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const result = await benchThroughput({ attachments: arg('attachments', 1000), rounds: arg('rounds', 3), log: (l) => console.log(l) });
  console.log(`  pipeline ${result.attachments_per_s}/s vs baseline ${result.baseline_per_s}/s: ratio ${result.ratio} (target ≥ 0.6); ${result.cloud_calls_per_attachment} cloud calls per attachment`);
  console.log(`  pipeline vs the chain making the same ${result.cloud_calls_per_attachment} calls (${result.same_calls_baseline_per_s}/s): ${result.same_calls_ratio} — the bookkeeping's share`);
  console.log(`  written to ${writeResult(resultName('throughput'), { throughput: result, measured_at: new Date().toISOString() })}`);
}
