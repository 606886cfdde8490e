/**
 * The API under test: the test emulator, the workflow test workers (in-process, or none when a test needs
 * attachments to stay queued), and the HTTP API on a free port on the same fresh prefix. `call` speaks HTTP
 * with the test key; `enqueued` and `recordKeys` tell what reached Redis; `cloudCalls` sums the emulator's
 * operation counts. `stop()` closes everything (call it in `after`).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApiServer, type ApiServer } from '../../../src/api/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { WORKFLOW_QUEUES } from '../../../src/queues/stage-queues.js';
import type { Config } from '../../../src/config/types.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { requestJson, type JsonResponse } from '../../helpers/http.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';

export const TEST_KEY = 'test-key';

export type CallResult<T = Record<string, unknown>> = JsonResponse<T>;

export interface CallOptions {
  body?: unknown;
  /** Raw body text (sent as is). */
  raw?: string;
  headers?: Record<string, string>;
  /** API key to send; null = no Authorization header. Default: the test key. */
  key?: string | null;
}

export interface Harness {
  url: string;
  config: Config;
  prefix: string;
  emulator: TestEmulator;
  workers: TestWorkers;
  api: ApiServer;
  call<T = Record<string, unknown>>(method: string, path: string, opts?: CallOptions): Promise<CallResult<T>>;
  /** Jobs in every workflow queue, all states summed. */
  enqueued(): Promise<number>;
  /** Attachment, batch and idempotency keys under the prefix. */
  recordKeys(): Promise<string[]>;
  /** Cloud operations the emulator has served, summed. */
  cloudCalls(): Promise<number>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Run the workflow workers (default false: attachments stay queued). */
  workers?: boolean;
  overrides?: Record<string, unknown>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const emulator = await startTestEmulator();
  const workers = await startTestWorkers({ emulator, noWorkers: !opts.workers, ...(opts.overrides ? { overrides: opts.overrides } : {}) });
  const config = workers.config;
  const api = await createApiServer(config, { logger: silentLogger() });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const probe = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
  const queues = WORKFLOW_QUEUES.map((name) => new Queue(name, { connection: probe, prefix: config.redis.prefix }));

  return {
    url,
    config,
    prefix: config.redis.prefix,
    emulator,
    workers,
    api,
    call: <T>(method: string, path: string, { key = TEST_KEY, ...o }: CallOptions = {}): Promise<CallResult<T>> =>
      requestJson<T>(url, method, path, { ...o, bearer: key }),
    async enqueued() {
      let total = 0;
      for (const q of queues) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children', 'paused');
        total += Object.values(counts).reduce((a, b) => a + b, 0);
      }
      return total;
    },
    async recordKeys() {
      const out: string[] = [];
      for (const pattern of ['att:*', 'batch:*', 'batch-items:*', 'idem:*', 'att-index']) {
        let cursor = '0';
        do {
          const [next, keys] = await probe.scan(cursor, 'MATCH', `${config.redis.prefix}:${pattern}`, 'COUNT', 1000);
          cursor = next;
          out.push(...keys);
        } while (cursor !== '0');
      }
      return out;
    },
    async cloudCalls() {
      const state = await emulator.control.state();
      return Object.values(state.calls as Record<string, number>).reduce((a, b) => a + b, 0);
    },
    async stop() {
      await api.close();
      await Promise.all(queues.map((q) => q.close()));
      await workers.stop();
      await emulator.stop();
      await probe.quit().catch(() => probe.disconnect());
    },
  };
}

export const SERVER_ID = '2b8e1a6e-3f0c-4e43-9a5d-5f1f0c2a7b11';
export const OTHER_ID = '7d4f9a0c-1b2e-4c3d-8e9f-0a1b2c3d4e5f';
