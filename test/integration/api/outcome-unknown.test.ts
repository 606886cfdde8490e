/**
 * A write Redis ran but whose answer never reached the API (the producer's command timeout, the connection lost
 * while waiting) must not turn into a second attachment. A TCP proxy between the API's producer and the real
 * Redis forwards every command at once but, from the command that carries a marker on, holds Redis' replies:
 * the write lands, the client times out. Then:
 * - the record write (single and batch) → 503 OUTCOME_UNKNOWN, the Idempotency-Key stays claimed, and the retry
 *   with the same key returns the same attachment/batch — one record each, one job each;
 * - without a key, OUTCOME_UNKNOWN names the id to look up (the record exists);
 * - the record write answered but the job add not → 202 with the record (the reconciler adds missing jobs);
 * - the record write is create-only: a late copy of it changes nothing;
 * - what counts as "never sent" (the claim is released then), on real ioredis errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createApiServer, type ApiServer } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { batchItemId, createProducer, type Producer } from '../../../src/queues/producer.js';
import { isRedisUnavailableError, isUnsentCommandError } from '../../../src/queues/producer-connection.js';
import { stageJobId } from '../../../src/queues/names.js';
import { createKeys } from '../../../src/workflow/keys.js';
import { createAttachmentStore } from '../../../src/workflow/record-store.js';
import { createRecordsWrite, sendCreateRecords } from '../../../src/workflow/record-create-script.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import { newBatchId } from '../../../src/lib/ids.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { dropPrefix, freePort, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { requestJson } from '../../helpers/http.js';
import { OTHER_ID, SERVER_ID, TEST_KEY } from './harness.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

/** The Lua text of the record write (src/workflow/record-create-script.ts) contains this. */
const RECORD_WRITE = 'no record written';
const COMMAND_TIMEOUT_MS = 400;

interface ReplyHoldingProxy {
  url: string;
  /** From the next client command containing `marker` on, that connection's replies are held (not dropped). */
  holdAfter(marker: string): void;
  /** Deliver the held replies and stop holding. */
  release(): void;
  close(): Promise<void>;
}

async function startReplyHoldingProxy(target: URL): Promise<ReplyHoldingProxy> {
  let marker: Buffer | undefined;
  const releases = new Set<() => void>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    let holding = false;
    let held: Buffer[] = [];
    let tail = Buffer.alloc(0);
    const flush = (): void => {
      holding = false;
      for (const chunk of held) client.write(chunk);
      held = [];
    };
    client.on('data', (chunk: Buffer) => {
      if (marker) {
        // The marker may straddle two chunks: look at the end of the previous one too.
        const seen = Buffer.concat([tail, chunk]);
        if (seen.includes(marker)) {
          marker = undefined;
          holding = true;
          releases.add(flush);
        }
        tail = seen.subarray(Math.max(0, seen.length - 64));
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (holding) held.push(chunk);
      else client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    holdAfter(m) {
      marker = Buffer.from(m);
    },
    release() {
      for (const r of releases) r();
      releases.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a write whose answer is lost (Redis ran it, the producer timed out)', () => {
  const prefix = freshPrefix('outcome');
  const keys = createKeys(prefix);
  let proxy: ReplyHoldingProxy;
  let producer: Producer;
  let api: ApiServer;
  let url: string;
  let redis: Redis;

  const post = <T>(path: string, body: unknown, key?: string): Promise<{ status: number; body: T; text: string }> =>
    requestJson<T>(url, 'POST', path, { body, bearer: TEST_KEY, ...(key ? { headers: { 'idempotency-key': key } } : {}) });
  const jobs = async (): Promise<number> => redis.llen(`${prefix}:network:wait`);

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    proxy = await startReplyHoldingProxy(new URL(TEST_REDIS_URL));
    const config = loadConfig({ env: { APP_ENV: 'test' }, overrides: { redis: { url: proxy.url, prefix } } });
    producer = createProducer({ redis: proxy.url, prefix, commandTimeoutMs: COMMAND_TIMEOUT_MS, workflow: config.workflow });
    api = await createApiServer(config, { logger: silentLogger(), producer });
    url = await api.listen({ host: '127.0.0.1', port: 0 });
    await waitUntil(() => (producer.connection.status === 'ready' ? true : undefined), { timeoutMs: 5_000, intervalMs: 20, what: 'the producer connection' });
  });
  after(async () => {
    proxy?.release();
    await api?.close();
    await producer?.close();
    await proxy?.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
    await redis?.quit();
  });

  it('POST /v1/attachments: 503 OUTCOME_UNKNOWN, the key stays claimed; the retry with it returns the same attachment, one record, one job', async () => {
    proxy.holdAfter(RECORD_WRITE);
    const lost = await post<ErrorBody>('/v1/attachments', { server_id: SERVER_ID, metadata: { order: 'o-1' } }, 'lost-1');
    proxy.release();
    assert.equal(lost.status, 503, lost.text);
    assert.equal(lost.body.error.code, 'OUTCOME_UNKNOWN');
    assert.match(lost.body.error.message, /outcome unknown; retry with the same Idempotency-Key/);
    const id = lost.body.error.details.id as string;
    assert.match(id, /^att_/);
    // The write did land, and the key still points at it.
    assert.equal(await redis.exists(keys.attachment(id)), 1);
    assert.equal(JSON.parse((await redis.get(keys.idempotency('lost-1'))) ?? '{}').id, id);

    const retry = await post<AttachmentRecord>('/v1/attachments', { metadata: { order: 'o-1' }, server_id: SERVER_ID }, 'lost-1');
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.id, id);
    assert.equal(await redis.zcard(keys.attachmentsIndex()), 1, 'one record');
    assert.equal(await redis.exists(`${prefix}:network:${stageJobId(id, 'network')}`), 1, 'its first-stage job');
    assert.equal(await jobs(), 1, 'one job');
  });

  it('POST /v1/batches: 503 OUTCOME_UNKNOWN; the retry with the key returns the same batch, its records and jobs once', async () => {
    const before = { records: await redis.zcard(keys.attachmentsIndex()), jobs: await jobs() };
    const body = { items: [{ server_id: SERVER_ID }, { server_id: OTHER_ID }, { server_id: SERVER_ID, metadata: { n: 3 } }] };
    proxy.holdAfter(RECORD_WRITE);
    const lost = await post<ErrorBody>('/v1/batches', body, 'lost-batch');
    proxy.release();
    assert.equal(lost.status, 503, lost.text);
    assert.equal(lost.body.error.code, 'OUTCOME_UNKNOWN');
    const batchId = lost.body.error.details.id as string;
    assert.match(batchId, /^bat_/);
    assert.equal(await redis.exists(keys.batch(batchId)), 1, 'the batch was written');

    const retry = await post<{ id: string; total: number; attachment_ids: string[] }>('/v1/batches', body, 'lost-batch');
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.id, batchId);
    assert.equal(retry.body.total, 3);
    assert.equal(await redis.zcard(keys.batchItems(batchId)), 3);
    assert.equal(await redis.zcard(keys.attachmentsIndex()), before.records + 3, 'three records, once');
    assert.equal(await jobs(), before.jobs + 3, 'three jobs, once');
  });

  it('without an Idempotency-Key, OUTCOME_UNKNOWN names the attachment to look up (it exists)', async () => {
    proxy.holdAfter(RECORD_WRITE);
    const lost = await post<ErrorBody>('/v1/attachments', { server_id: SERVER_ID });
    proxy.release();
    assert.equal(lost.status, 503, lost.text);
    assert.equal(lost.body.error.code, 'OUTCOME_UNKNOWN');
    const id = lost.body.error.details.id as string;
    assert.match(lost.body.error.message, new RegExp(`check GET /v1/attachments/${id} before retrying`));
    const found = await requestJson<AttachmentRecord>(url, 'GET', `/v1/attachments/${id}`, { bearer: TEST_KEY });
    assert.equal(found.status, 200, found.text);
    assert.equal(found.body.status, 'queued');
  });

  it('a record written whose job add is not answered → 202 with the record (the reconciler adds missing jobs)', async () => {
    // The job add is the first command naming the network queue's keys.
    proxy.holdAfter(`${prefix}:network:`);
    const res = await post<AttachmentRecord>('/v1/attachments', { server_id: OTHER_ID }, 'jobs-lost');
    proxy.release();
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.status, 'queued');
    assert.equal(await redis.exists(keys.attachment(res.body.id)), 1);
    const again = await post<AttachmentRecord>('/v1/attachments', { server_id: OTHER_ID }, 'jobs-lost');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, res.body.id);
  });
});

describe('the record write lands once', () => {
  it('a second copy of the same write (resent after a reconnect, or racing a replay) changes nothing', async () => {
    const prefix = freshPrefix('once');
    const keys = createKeys(prefix);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const store = createAttachmentStore({ streamMaxLen: 1000, recordRetentionDays: 1, stageCompletedEvents: false }, { redis, keys });
      const batchId = newBatchId();
      const records = [0, 1].map((i) => newAttachmentRecord({ server_id: SERVER_ID }, { id: batchItemId(batchId, i), batch_id: batchId }));
      const write = createRecordsWrite(keys, records, { key: keys.batch(batchId), fields: { id: batchId, total: '2', created_at: records[0]?.created_at ?? '', done: '0' } });
      assert.equal(await sendCreateRecords(redis, write), 3);
      assert.equal(await store.patch(records[0]?.id ?? '', { status: 'running', stage: 'subnet' }), true);
      assert.equal(await sendCreateRecords(redis, write), 0, 'nothing written the second time');
      const first = await store.get(records[0]?.id ?? '');
      assert.deepEqual([first?.status, first?.stage], ['running', 'subnet'], 'the worker\'s progress is kept');
      assert.equal(await redis.zscore(keys.byStatus('queued'), records[0]?.id ?? ''), null, 'not put back in the queued index');
      assert.equal(await redis.zcard(keys.batchItems(batchId)), 2);
      // The store says whether it wrote, so a replay that lost the race to the first write answers "not created".
      assert.equal(await store.createMany(records, { id: batchId, created_at: records[0]?.created_at ?? '' }), false);
      const single = newAttachmentRecord({ server_id: SERVER_ID });
      assert.equal(await store.create(single), true);
      assert.equal(await store.create(single), false);
    } finally {
      await dropPrefix(TEST_REDIS_URL, prefix);
      await redis.quit();
    }
  });
});

describe('which failed writes were never sent (their claim is released)', () => {
  const statusOf = (r: Redis): string => r.status;

  it('"Stream isn\'t writeable" (not connected, no offline queue) and a call on an ended connection were never sent', async () => {
    const port = await freePort();
    const r = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => undefined);
    try {
      const before = statusOf(r);
      const err = await r.call('eval', ['return 1', '0']).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Error);
      assert.ok(isRedisUnavailableError(err));
      assert.equal(isUnsentCommandError(err, before), true, (err as Error).message);
    } finally {
      r.disconnect();
    }
    const ended = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false });
    await new Promise((resolve) => ended.once('ready', resolve));
    ended.disconnect();
    await new Promise((resolve) => ended.once('end', resolve));
    const at = statusOf(ended);
    const closed = await ended.call('eval', ['return 1', '0']).then(() => undefined, (e: unknown) => e);
    assert.equal(at, 'end');
    assert.equal(isUnsentCommandError(closed, at), true, String(closed));
  });

  it('a command timeout was sent (outcome unknown)', async () => {
    const proxy = await startReplyHoldingProxy(new URL(TEST_REDIS_URL));
    const r = new Redis(proxy.url, { enableOfflineQueue: false, commandTimeout: 200, maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    try {
      await new Promise((resolve) => r.once('ready', resolve));
      proxy.holdAfter('held-marker');
      const at = statusOf(r);
      const err = await r.call('echo', ['held-marker']).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Error && /Command timed out/.test(err.message), String(err));
      assert.ok(isRedisUnavailableError(err));
      assert.equal(isUnsentCommandError(err, at), false);
    } finally {
      proxy.release();
      r.disconnect();
      await proxy.close();
    }
  });
});
