/**
 * Benchmark: memory with 10,000 attachments in flight, then finished and trimmed to their records.
 *
 * The workers run as `nic-attach worker` in a child process of their own (its peak resident set, VmHWM, is
 * the figure), on a private redis-server, against the emulator in another process (zero timings, one
 * attachment per server, 10,000 servers). The bench process submits the 10,000 at once (ten batches of 1,000
 * through the producer library), so all are in flight together, and waits until every one has ended.
 * Then the attachments are trimmed to their records: the finished jobs leave the queues (what removeOnComplete's
 * age limit does an hour later), and the two bounded logs are emptied — the completion events stream (it keeps
 * the newest EVENTS_STREAM_MAXLEN events, whoever they belong to) and BullMQ's per-queue event logs (10,000
 * entries each). Redis's used_memory is compared with its value before the submission: what is left per
 * attachment is what it keeps for the record retention — its record, its index entries, its batch's share.
 * The figure with the logs still holding this run's events is printed and kept in the details too.
 * Baseline in the same run: the same worker process idle (connected, no work) — its RSS, and Redis before.
 * Targets: worker peak RSS ≤ 300 MB; ≤ 4 KB of Redis per finished attachment.
 *
 *   npx tsx bench/memory.ts [--attachments 10000]        → bench/results/memory.json
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../src/lib/logger.js';
import { createProducer } from '../src/queues/producer.js';
import { ALL_QUEUES } from '../src/queues/names.js';
import { createKeys } from '../src/workflow/keys.js';
import { arg, createServers, EMULATOR_CREDS, resultName, ROOT, round, rssOf, startChildEmulator, startRedis, waitFor, writeResult } from './lib.js';

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

export interface MemoryResult {
  in_flight: number;
  worker_peak_rss_mb: number;
  redis_bytes_per_attachment: number;
}

export async function benchMemory(opts: { attachments: number; log: (line: string) => void }): Promise<{ result: MemoryResult; details: Record<string, number> }> {
  const n = opts.attachments;
  const redis = await startRedis();
  const em = await startChildEmulator();
  const prefix = '{mem}';
  const keys = createKeys(prefix);
  const probe = new Redis(redis.url);
  let worker: ReturnType<typeof spawn> | undefined;
  try {
    opts.log(`memory: ${n} attachments in flight at once, workers in their own process, private redis-server`);
    const t0 = performance.now();
    // 120 servers per VPC: its primary /24 holds their primary NICs and the new ones.
    const servers = await createServers(em, n, 120, 'mem');
    opts.log(`  ${n} servers created in the emulator (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

    worker = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        APP_ENV: 'production',
        LOG_LEVEL: 'warn',
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        METRICS_PORT: '0',
        CLOUD_RATE_LIMIT_RPS: '1000000',
        HUAWEICLOUD_SDK_AK: EMULATOR_CREDS.accessKey,
        HUAWEICLOUD_SDK_SK: EMULATOR_CREDS.secretKey,
        HUAWEICLOUD_SDK_PROJECT_ID: EMULATOR_CREDS.projectId,
        HUAWEICLOUD_ECS_ENDPOINT: em.url,
        HUAWEICLOUD_VPC_ENDPOINT: em.url,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const pid = worker.pid ?? -1;
    await waitFor(async () => ((await probe.zcard(keys.custom('worker-heartbeats'))) > 0 ? true : undefined), 60_000, 'the worker process', 100);
    const idleRss = rssOf(pid).nowMb;
    const before = await usedMemory(probe);

    const producer = createProducer({ redis: redis.url, prefix, logger: silentLogger() });
    const t1 = performance.now();
    for (let i = 0; i < n; i += 1000) await producer.attachBatch(servers.slice(i, i + 1000).map((s) => ({ server_id: s.id })));
    await producer.close();
    const inFlight = await probe.zcard(keys.attachmentsIndex());
    opts.log(`  ${inFlight} attachments submitted in ${((performance.now() - t1) / 1000).toFixed(1)} s; workers running`);
    let peakRunning = 0;
    let failedCount = 0;
    let last = 0;
    await waitFor(
      async () => {
        const [ok, failed, queued, running] = await Promise.all(['succeeded', 'failed', 'queued', 'running'].map((s) => probe.zcard(keys.byStatus(s))));
        peakRunning = Math.max(peakRunning, (queued ?? 0) + (running ?? 0));
        failedCount = failed ?? 0;
        if ((ok ?? 0) - last >= 2000) {
          last = ok ?? 0;
          opts.log(`  ${ok} succeeded (${((performance.now() - t1) / 1000).toFixed(0)} s), worker RSS ${rssOf(pid).nowMb.toFixed(0)} MB`);
        }
        return (ok ?? 0) + failedCount === n ? true : undefined;
      },
      1_200_000,
      'every attachment to end',
      250,
    );
    const elapsed = (performance.now() - t1) / 1000;
    if (failedCount > 0) {
      const ids = await probe.zrange(keys.byStatus('failed'), 0, -1);
      const codes = new Map<string, number>();
      for (const id of ids) {
        const err = await probe.hget(keys.attachment(id), 'error');
        const code = err ? `${(JSON.parse(err) as { code: string; stage: string; message: string }).code}` : 'unknown';
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (codes.get(code) === 1) opts.log(`  failed: ${err ?? ''}`);
      }
      throw new Error(`${failedCount} attachments failed: ${[...codes].map(([c, k]) => `${k}× ${c}`).join(', ')}`);
    }
    const peak = rssOf(pid).peakMb;

    // Trim the finished jobs, as removeOnComplete's age limit does an hour later.
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    for (const name of ALL_QUEUES) {
      const q = new Queue(name, { connection: conn, prefix });
      while ((await q.clean(0, 10_000, 'completed')).length > 0);
      await q.close();
    }
    conn.disconnect();
    const after = await usedMemory(probe);
    const sampleIds = await probe.zrange(keys.byStatus('succeeded'), 0, 99);
    const recordBytes = Math.round(
      (await Promise.all(sampleIds.map(async (id) => Number(await probe.memory('USAGE', keys.attachment(id), 'SAMPLES', '0'))))).reduce((x, y) => x + y, 0) / Math.max(1, sampleIds.length),
    );
    const streamBytes = Number(await probe.memory('USAGE', keys.events(), 'SAMPLES', '0'));
    // The bounded logs: the completion events stream (kept up to EVENTS_STREAM_MAXLEN entries, then trimmed) and
    // BullMQ's own per-queue event logs (up to 10,000 entries each). Drop them to see what each finished
    // attachment keeps for the record retention: its record, its index entries, its batch's share.
    let bullmqLogBytes = 0;
    for (const name of ALL_QUEUES) {
      const key = `${prefix}:${name}:events`;
      bullmqLogBytes += Number((await probe.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
      await probe.del(key);
    }
    await probe.del(keys.events());
    const trimmed = await usedMemory(probe);
    if (process.argv.includes('--by-key')) {
      // Where the bytes are, by key pattern (ids replaced by *).
      const byPattern = new Map<string, [number, number]>();
      let cursor = '0';
      do {
        const [next, found] = await probe.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const key of found) {
          const pattern = key.replace(/(att|bat)_[0-9a-f-]{36}/g, '$1_*').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '*');
          const cur = byPattern.get(pattern) ?? [0, 0];
          byPattern.set(pattern, [cur[0] + 1, cur[1] + Number(await probe.memory('USAGE', key, 'SAMPLES', '0'))]);
        }
      } while (cursor !== '0');
      for (const [pattern, [count, bytes]] of [...byPattern].sort((x, y) => y[1][1] - x[1][1]).slice(0, 15)) {
        opts.log(`    ${pattern.padEnd(50)} ${String(count).padStart(6)} keys ${Math.round(bytes / n).toString().padStart(6)} B per attachment`);
      }
    }
    const perAttachment = (trimmed - before) / n;
    const details = {
      elapsed_s: round(elapsed, 1),
      attachments_per_s: round(n / elapsed, 1),
      peak_not_ended: peakRunning,
      worker_idle_rss_mb: round(idleRss, 1),
      redis_used_before_mb: round(before / 1048576, 1),
      redis_used_after_mb: round(after / 1048576, 1),
      redis_bytes_per_attachment_with_logs: Math.round((after - before) / n),
      record_hash_bytes: recordBytes,
      events_stream_bytes_per_attachment: Math.round(streamBytes / n),
      bullmq_event_logs_bytes_per_attachment: Math.round(bullmqLogBytes / n),
    };
    opts.log(
      `  all ${n} ended in ${details.elapsed_s} s (${details.attachments_per_s}/s); worker RSS peak ${peak.toFixed(0)} MB (idle ${idleRss.toFixed(0)} MB); ` +
        `Redis ${Math.round(perAttachment)} B per finished attachment (record hash ${recordBytes} B + index entries + batch share); ` +
        `with the bounded logs still holding this run: ${details.redis_bytes_per_attachment_with_logs} B (completion event ${details.events_stream_bytes_per_attachment} B, BullMQ event logs ${details.bullmq_event_logs_bytes_per_attachment} B)`,
    );
    return { result: { in_flight: inFlight, worker_peak_rss_mb: round(peak, 1), redis_bytes_per_attachment: Math.round(perAttachment) }, details };
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise<void>((r) => worker?.once('exit', () => r()));
      worker.kill('SIGTERM');
      await exited;
    }
    probe.disconnect();
    await em.stop();
    await redis.stop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const { result, details } = await benchMemory({ attachments: arg('attachments', 10_000), log: (l) => console.log(l) });
  console.log(`  targets: RSS ≤ 300 MB ${result.worker_peak_rss_mb <= 300 ? 'met' : 'MISSED'}; ≤ 4 KB Redis per attachment ${result.redis_bytes_per_attachment <= 4096 ? 'met' : 'MISSED'}`);
  console.log(`  written to ${writeResult(resultName('memory'), { memory: result, details, measured_at: new Date().toISOString() })}`);
}
