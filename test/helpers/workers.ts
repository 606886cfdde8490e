/**
 * The workflow workers, in-process, for a test: config from loadConfig({ overrides }) with a fresh key
 * prefix and the test emulator's endpoints and credentials; `submit` writes records and enqueues them as the
 * producer does; `waitForTerminal` polls the records (never sleeps a fixed time). `stop()` closes the workers,
 * the queues and every connection, and drops the prefix — call it in `after`.
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import type { CloudClientDeps } from '../../src/cloud/client.js';
import { createCloudClient, type ClosableCloudClient } from '../../src/cloud/index.js';
import { silentLogger, createLogger, type Logger } from '../../src/lib/logger.js';
import { newBatchId } from '../../src/lib/ids.js';
import { waitUntil } from '../../src/lib/wait.js';
import { startWorkflowWorkers, type WorkflowWorkers } from '../../src/queues/workers.js';
import { createStageQueues, type StageQueues } from '../../src/queues/stage-queues.js';
import { createAttachmentStore, storeSettingsFromConfig, type AttachmentStore } from '../../src/workflow/record-store.js';
import { createKeys, type Keys } from '../../src/workflow/keys.js';
import { newAttachmentRecord } from '../../src/workflow/new-record.js';
import { TERMINAL_STATUSES, type AttachmentRecord, type AttachmentRequest } from '../../src/workflow/types.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from './redis.js';
import type { TestEmulator } from './emulator.js';

export interface TestWorkersOptions {
  emulator: TestEmulator;
  /** Config overrides (deep-merged by convict over config/test.json). */
  overrides?: Record<string, unknown>;
  prefix?: string;
  redisUrl?: string;
  /** Start no workers (a test that runs them in a child process). */
  noWorkers?: boolean;
  fetch?: CloudClientDeps['fetch'];
  logger?: Logger;
}

export interface TestWorkers {
  config: Config;
  prefix: string;
  keys: Keys;
  /** A command connection of the test's own. */
  redis: Redis;
  store: AttachmentStore;
  queues: StageQueues;
  /** A cloud client of the test's own (to check the emulator through the API). */
  cloud: ClosableCloudClient;
  workers: WorkflowWorkers | undefined;
  /** Writes the records (as one batch when asked) and adds their first-stage jobs; returns the ids. */
  submit(requests: AttachmentRequest[], opts?: { batch?: { callback_url?: string; metadata?: Record<string, unknown> } }): Promise<string[]>;
  /** The same as submit. */
  enqueue(requests: AttachmentRequest[], opts?: { batch?: { callback_url?: string; metadata?: Record<string, unknown> } }): Promise<string[]>;
  /** Waits until the attachment (or every one of the ids) is succeeded, failed or cancelled. */
  waitForTerminal(id: string, timeoutMs?: number): Promise<AttachmentRecord>;
  waitForTerminal(ids: readonly string[], timeoutMs?: number): Promise<AttachmentRecord[]>;
  waitForAllTerminal(ids: readonly string[], timeoutMs?: number): Promise<AttachmentRecord[]>;
  /** Wait until cleanup of a failed/cancelled attachment is done (or failed). */
  waitForCleanup(id: string, timeoutMs?: number): Promise<AttachmentRecord>;
  stop(): Promise<void>;
}

/** The config a test's workers run with (also the env of a child worker process). */
export function testConfig(emulator: TestEmulator, prefix: string, redisUrl: string, overrides: Record<string, unknown> = {}): Config {
  const base = {
    redis: { url: redisUrl, prefix },
    cloud: {
      ak: emulator.credentials.accessKey,
      sk: emulator.credentials.secretKey,
      projectId: emulator.credentials.projectId,
      ecsEndpoint: emulator.url,
      vpcEndpoint: emulator.url,
      timeoutMs: 5000,
      rateLimitRps: 1000,
    },
  };
  return loadConfig({ env: { APP_ENV: 'test' }, overrides: deepMerge(base, overrides) });
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export async function startTestWorkers(opts: TestWorkersOptions): Promise<TestWorkers> {
  const prefix = opts.prefix ?? freshPrefix('wf');
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const config = testConfig(opts.emulator, prefix, redisUrl, opts.overrides);
  const logger = opts.logger ?? (process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG, pretty: 'false' }) : silentLogger());
  const keys = createKeys(prefix);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const store = createAttachmentStore(
    storeSettingsFromConfig(config),
    { redis, keys },
  );
  const queues = createStageQueues(config, { connection: redis });
  const cloud = createCloudClient(opts.emulator.cloudOptions, { logger: silentLogger() });
  const workers = opts.noWorkers
    ? undefined
    : startWorkflowWorkers(config, { logger, cloudOptions: opts.emulator.cloudOptions, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  await workers?.waitUntilReady();

  const waitForOne = (id: string, timeoutMs = 60_000): Promise<AttachmentRecord> =>
    waitUntil(
      async () => {
        const r = await store.get(id);
        return r && TERMINAL_STATUSES.includes(r.status) ? r : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `attachment ${id} to end` },
    );

  function waitForTerminal(id: string, timeoutMs?: number): Promise<AttachmentRecord>;
  function waitForTerminal(ids: readonly string[], timeoutMs?: number): Promise<AttachmentRecord[]>;
  function waitForTerminal(idOrIds: string | readonly string[], timeoutMs?: number): Promise<AttachmentRecord | AttachmentRecord[]> {
    return typeof idOrIds === 'string' ? waitForOne(idOrIds, timeoutMs) : Promise.all(idOrIds.map((id) => waitForOne(id, timeoutMs)));
  }

  const submit: TestWorkers['submit'] = async (requests, submitOpts = {}) => {
    const batchId = submitOpts.batch ? newBatchId() : undefined;
    const records = requests.map((r) => newAttachmentRecord(r, batchId ? { batch_id: batchId } : {}));
    if (batchId) {
      await store.createMany(records, { id: batchId, created_at: new Date().toISOString(), ...submitOpts.batch });
    } else {
      await store.createMany(records);
    }
    await queues.enqueueAttachments(records);
    return records.map((r) => r.id);
  };

  return {
    config,
    prefix,
    keys,
    redis,
    store,
    queues,
    cloud,
    workers,
    submit,
    enqueue: submit,
    waitForTerminal,
    waitForAllTerminal: (ids, timeoutMs) => waitForTerminal(ids, timeoutMs),
    waitForCleanup: (id, timeoutMs = 60_000) =>
      waitUntil(
        async () => {
          const r = await store.get(id);
          return r && (r.cleanup?.status === 'done' || r.cleanup?.status === 'failed') ? r : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `cleanup of attachment ${id}` },
      ),
    async stop() {
      await workers?.close({ timeoutMs: 5_000 });
      await queues.close();
      cloud.close();
      await dropPrefix(redisUrl, prefix).catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it wrote so far (stdout and stderr). */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/**
 * `node --import tsx src/main.ts worker` as a child process, configured through its environment (as an
 * operator would) to use the test's Redis prefix and emulator.
 */
export function spawnWorkerProcess(opts: { emulator: TestEmulator; prefix: string; redisUrl?: string; env?: Record<string, string> }): WorkerProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    APP_ENV: 'test',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL,
    QUEUE_PREFIX: opts.prefix,
    HUAWEICLOUD_SDK_AK: opts.emulator.credentials.accessKey,
    HUAWEICLOUD_SDK_SK: opts.emulator.credentials.secretKey,
    HUAWEICLOUD_SDK_PROJECT_ID: opts.emulator.credentials.projectId,
    HUAWEICLOUD_ECS_ENDPOINT: opts.emulator.url,
    HUAWEICLOUD_VPC_ENDPOINT: opts.emulator.url,
    CLOUD_RATE_LIMIT_RPS: '1000',
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid ?? -1,
    exited,
    output: () => out,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
