/**
 * Benchmark: a 1,000-item batch accepted and enqueued through the HTTP API (POST /v1/batches over real HTTP:
 * JSON parsing, full validation of every item, the records and the batch written by one all-or-nothing script,
 * the 1,000 first-stage jobs added with addBulk right behind it) against a raw BullMQ addBulk of the same 1,000 jobs (same data, ids and
 * options), measured in the same run on the same Redis. No workers run, so nothing else touches Redis.
 *
 * Each figure is the median of --runs rounds (after three full-size warm-up rounds each). Prints both and the ratio, then (after
 * the measured rounds) where the API's time goes: its steps timed one by one in-process. Writes
 * bench/results/enqueue.json: { enqueue: { batch_1000_ms, baseline_addbulk_1000_ms, ratio, breakdown_ms, ... } }.
 *
 *   npx tsx bench/enqueue.ts [--runs 11] [--items 1000]       (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApiServer } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { newAttachmentId } from '../src/lib/ids.js';
import { stageJobId } from '../src/queues/names.js';
import { defaultJobOptions } from '../src/queues/stage-queues.js';
import type { Producer } from '../src/queues/producer.js';
import { validateBatchRequest } from '../src/workflow/request/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '11' }, items: { type: 'string', default: '1000' } } });
const WARMUP_RUNS = 3;
const RUNS = Number(values.runs);
const ITEMS = Number(values.items);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'bench-key';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Realistic items: a subnet to find or create, a fixed IP, a security group, a little metadata. */
function items(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    server_id: randomUUID(),
    subnet: { name: `bench-${i % 10}`, cidr: `192.168.${i % 10}.0/24` },
    port: { fixed_ip: `192.168.${i % 10}.${10 + (i % 200)}`, security_group_ids: [randomUUID()] },
    metadata: { ticket: `BENCH-${i}` },
  }));
}

/**
 * The API's steps one at a time, in-process, on the API's own producer: JSON.parse of the body, validation
 * (validateBatchRequest, as the route's validator compiler runs it), and the producer's write (records, indexes
 * and batch in one script, the jobs right behind it). What the HTTP figure has on top is HTTP and fastify.
 */
async function apiBreakdown(producer: Producer, n: number, runs: number, maxItems: number): Promise<{ parse: number; validate: number; write: number }> {
  const parse: number[] = [];
  const validate: number[] = [];
  const write: number[] = [];
  for (let r = 0; r < runs; r += 1) {
    const text = JSON.stringify({ items: items(n) });
    let t0 = performance.now();
    const body = JSON.parse(text) as unknown;
    parse.push(performance.now() - t0);
    t0 = performance.now();
    const validated = validateBatchRequest(body, { maxItems });
    validate.push(performance.now() - t0);
    t0 = performance.now();
    await producer.attachBatchValidated(validated);
    write.push(performance.now() - t0);
  }
  return { parse: median(parse), validate: median(validate), write: median(write) };
}

async function main(): Promise<void> {
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const basePrefix = `{bench-base-${randomBytes(4).toString('hex')}}`;
  const config = loadConfig({
    env: { APP_ENV: 'test' },
    overrides: { redis: { url: REDIS_URL, prefix }, api: { keys: [KEY], batchMaxItems: Math.max(ITEMS, 1000), bodyLimitBytes: 16 * 1024 * 1024 }, log: { level: 'silent' } },
  });
  const api = await createApiServer(config, { logger: silentLogger() });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const redis = new Redis(REDIS_URL);
  const baseline = new Queue('network', { connection: redis, prefix: basePrefix });
  const jobOpts = defaultJobOptions(config);

  const postBatch = async (n: number): Promise<number> => {
    const body = JSON.stringify({ items: items(n) });
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as { total?: number };
    const ms = performance.now() - t0;
    if (res.status !== 202 || answer.total !== n) throw new Error(`POST /v1/batches → ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    return ms;
  };
  const rawAddBulk = async (n: number): Promise<number> => {
    const jobs = Array.from({ length: n }, () => {
      const id = newAttachmentId();
      return { name: 'network', data: { attachment_id: id }, opts: { ...jobOpts, jobId: stageJobId(id, 'network') } };
    });
    const t0 = performance.now();
    await baseline.addBulk(jobs);
    return performance.now() - t0;
  };

  try {
    // Warm-up at full size, not counted: the first 1,000-item runs of each side pay for JIT compilation of
    // their paths and Redis' first load of the scripts (one cold API run measured 228 ms against ~110 warm).
    for (let w = 0; w < WARMUP_RUNS; w += 1) {
      await postBatch(ITEMS);
      await rawAddBulk(ITEMS);
    }
    const batchMs: number[] = [];
    const baseMs: number[] = [];
    // Interleaved, so both see the same Redis and machine conditions.
    for (let r = 0; r < RUNS; r += 1) {
      batchMs.push(await postBatch(ITEMS));
      baseMs.push(await rawAddBulk(ITEMS));
    }
    const batch = median(batchMs);
    const base = median(baseMs);
    const ratio = batch / base;
    // After the measured runs, so it changes nothing above: the API's steps timed one by one in-process.
    const breakdown = await apiBreakdown(api.producer, ITEMS, RUNS, config.api.batchMaxItems);
    console.log(`enqueue ${ITEMS} items, median of ${RUNS} runs (Redis ${REDIS_URL})`);
    console.log(`  API batch (POST /v1/batches → 202):   ${batch.toFixed(1)} ms   runs: ${batchMs.map((x) => x.toFixed(0)).join(' ')}`);
    console.log(`  raw BullMQ addBulk (same jobs):       ${base.toFixed(1)} ms   runs: ${baseMs.map((x) => x.toFixed(0)).join(' ')}`);
    console.log(`  ratio API / raw addBulk:              ${ratio.toFixed(2)}`);
    const rest = batch - breakdown.parse - breakdown.validate - breakdown.write;
    console.log(
      `  where the API's time goes (each step alone, in-process, median of ${RUNS}): JSON.parse ${breakdown.parse.toFixed(1)} ms, ` +
        `validation ${breakdown.validate.toFixed(1)} ms, records + jobs (producer.attachBatchValidated) ${breakdown.write.toFixed(1)} ms, ` +
        `the rest (HTTP both ways, fastify, auth) ~${rest.toFixed(0)} ms`,
    );
    const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'enqueue.json');
    mkdirSync(dirname(out), { recursive: true });
    const result = {
      enqueue: {
        batch_1000_ms: Number(batch.toFixed(1)),
        baseline_addbulk_1000_ms: Number(base.toFixed(1)),
        ratio: Number(ratio.toFixed(2)),
        breakdown_ms: {
          json_parse: Number(breakdown.parse.toFixed(1)),
          validation: Number(breakdown.validate.toFixed(1)),
          records_and_jobs: Number(breakdown.write.toFixed(1)),
          rest: Number(rest.toFixed(1)),
        },
        items: ITEMS,
        runs: RUNS,
        measured_at: new Date().toISOString(),
      },
    };
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`  written to ${out}`);
  } finally {
    await api.close();
    await baseline.close();
    await dropPrefix(redis, prefix);
    await dropPrefix(redis, basePrefix);
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
