/**
 * The attachment record store on a real Redis: round trips, patch only before the end, THE terminal
 * transition (compare-and-set with exactly one event, exactly one batch.completed when items of a batch end
 * at the same moment on different connections), listing with filters and cursors, cancel rules, retention.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { createAttachmentStore, type AttachmentStore } from '../../../src/workflow/record-store.js';
import { createKeys, type Keys } from '../../../src/workflow/keys.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import type { AttachmentRecord, BatchSummary, CompletionEvent } from '../../../src/workflow/types.js';

const SETTINGS = { streamMaxLen: 1000, recordRetentionDays: 7, stageCompletedEvents: true };

describe('attachment record store', () => {
  const prefix = freshPrefix('store');
  let keys: Keys;
  let r1: Redis;
  let r2: Redis;
  let s1: AttachmentStore;
  let s2: AttachmentStore;

  const events = async (): Promise<CompletionEvent[]> =>
    (await r1.xrange(keys.events(), '-', '+')).map(([, f]) => JSON.parse(f[1] as string) as CompletionEvent);

  before(() => {
    keys = createKeys(prefix);
    r1 = new Redis(TEST_REDIS_URL);
    r2 = new Redis(TEST_REDIS_URL);
    s1 = createAttachmentStore(SETTINGS, { redis: r1, keys });
    s2 = createAttachmentStore(SETTINGS, { redis: r2, keys });
  });
  after(async () => {
    await dropPrefix(TEST_REDIS_URL, prefix);
    r1?.disconnect();
    r2?.disconnect();
  });

  it('round-trips a record with its nested fields and types', async () => {
    const rec: AttachmentRecord = {
      ...newAttachmentRecord({ server_id: 'srv-rt', subnet: { name: 'a', cidr: '10.0.0.0/24', dhcp_enable: false }, metadata: { n: 1, tags: [] } }),
      created_vpc: true,
      poll_count: 3,
    };
    await s1.create(rec);
    assert.deepEqual(await s1.get(rec.id), rec);
    assert.equal(await s1.get('att_missing'), null);
  });

  it('patches a running record (moving its status index) but never a terminal one', async () => {
    const rec = newAttachmentRecord({ server_id: 'srv-p' });
    await s1.create(rec);
    assert.equal(await s1.patch(rec.id, { status: 'running', vpc_id: 'v1' }, { stageCompleted: 'network' }), true);
    assert.equal(await r1.zscore(keys.byStatus('running'), rec.id) !== null, true);
    assert.equal(await r1.zscore(keys.byStatus('queued'), rec.id), null);
    const stageEvents = (await events()).filter((e) => e.type === 'attachment.stage_completed' && (e.data as AttachmentRecord).id === rec.id);
    assert.equal(stageEvents.length, 1);
    assert.equal((stageEvents[0]?.data as AttachmentRecord & { completed_stage: string }).completed_stage, 'network');
    assert.equal(await s1.finish(rec.id, { status: 'succeeded', fields: { nic_id: 'n1' } }), true);
    assert.equal(await s1.patch(rec.id, { vpc_id: 'v2' }), false);
    assert.equal((await s1.get(rec.id))?.vpc_id, 'v1');
    const ttl = await r1.pttl(keys.attachment(rec.id));
    assert.ok(ttl > 6 * 86_400_000 && ttl <= 7 * 86_400_000, `retention ttl ${ttl}`);
    await assert.rejects(() => s1.patch(rec.id, { status: 'failed' }), /terminal status/);
  });

  it('applies many fields and the cloud-call count in one write; the terminal status wins over one in the fields', async () => {
    const rec = newAttachmentRecord({ server_id: 'srv-many' });
    await s1.create(rec);
    const fields = { status: 'running', stage: 'attach', vpc_id: 'v9', subnet_id: 's9', port_id: 'p9', created_port: true, poll_count: 2 } as const;
    assert.equal(await s1.patch(rec.id, fields, { addCloudCalls: 4 }), true);
    const patched = await s1.get(rec.id);
    assert.deepEqual({ ...patched, updated_at: undefined }, { ...rec, ...fields, cloud_calls: 4, updated_at: undefined });
    assert.ok(patched?.updated_at);
    // A status among finish()'s fields cannot override the terminal one (the script writes it last).
    assert.equal(await s1.finish(rec.id, { status: 'failed', fields: { status: 'running', nic_id: 'n9' }, addCloudCalls: 1 }), true);
    const ended = await s1.get(rec.id);
    assert.equal(ended?.status, 'failed');
    assert.equal(ended?.nic_id, 'n9');
    assert.equal(ended?.cloud_calls, 5);
    assert.equal(await r1.zscore(keys.byStatus('failed'), rec.id) !== null, true);
    assert.equal(await r1.zscore(keys.byStatus('running'), rec.id), null);
    const event = (await events()).find((e) => e.type === 'attachment.failed' && (e.data as AttachmentRecord).id === rec.id);
    assert.equal((event?.data as AttachmentRecord | undefined)?.status, 'failed');
  });

  it('ends an attachment once: two racing finishes make one change and one event', async () => {
    const rec = newAttachmentRecord({ server_id: 'srv-race' });
    await s1.create(rec);
    const results = await Promise.all([s1.finish(rec.id, { status: 'succeeded' }), s2.finish(rec.id, { status: 'failed', fields: { error: { code: 'X', message: 'x', stage: 'poll' } } })]);
    assert.deepEqual(results.filter(Boolean).length, 1);
    const mine = (await events()).filter((e) => e.type !== 'attachment.stage_completed' && (e.data as AttachmentRecord).id === rec.id);
    assert.equal(mine.length, 1);
    const final = await s1.get(rec.id);
    assert.equal((mine[0]?.data as AttachmentRecord).status, final?.status);
    assert.equal(mine[0]?.type, `attachment.${final?.status}`);
    assert.ok(final?.finished_at);
  });

  it('emits exactly one batch.completed when the items of a batch end at once on different connections', async () => {
    const batchId = 'bat_race';
    const items = Array.from({ length: 12 }, (_, i) => newAttachmentRecord({ server_id: `srv-b${i % 3}` }, { batch_id: batchId }));
    await s1.createMany(items, { id: batchId, created_at: new Date().toISOString(), metadata: { order: 'o-1', list: [] } });
    await Promise.all(items.map((it, i) => (i % 2 === 0 ? s1 : s2).finish(it.id, { status: i % 4 === 0 ? 'failed' : 'succeeded' })));
    const done = (await events()).filter((e) => e.type === 'batch.completed');
    assert.equal(done.length, 1);
    const summary = done[0]?.data as BatchSummary;
    assert.deepEqual(summary.counts, { queued: 0, running: 0, succeeded: 9, failed: 3, cancelled: 0 });
    assert.equal(summary.total, 12);
    assert.deepEqual(summary.metadata, { order: 'o-1', list: [] });
    const view = await s2.getBatch(batchId);
    assert.deepEqual(view?.counts, summary.counts);
    assert.equal(view?.attachment_ids.length, 12);
    assert.ok(view?.finished_at);
    // A second finish of an item changes nothing and emits nothing.
    assert.equal(await s1.finish(items[1]?.id as string, { status: 'failed' }), false);
    assert.equal((await events()).filter((e) => e.type === 'batch.completed').length, 1);
  });

  it('lists newest first with filters and a cursor, skipping records that expired', async () => {
    const base = Date.parse('2030-01-01T00:00:00Z');
    const recs = Array.from({ length: 25 }, (_, i) => newAttachmentRecord({ server_id: i % 2 ? 'srv-odd' : 'srv-even' }, { now: base + i }));
    await s1.createMany(recs);
    await r1.del(keys.attachment(recs[20]?.id as string)); // as if its retention ran out
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s1.list({ server_id: 'srv-odd', limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    const expected = recs.filter((_, i) => i % 2 === 1).reverse().map((r) => r.id);
    assert.deepEqual(seen, expected);
    const queuedEven = await s1.list({ server_id: 'srv-even', status: 'queued', limit: 100 });
    assert.deepEqual(queuedEven.items.map((r) => r.id), recs.filter((_, i) => i % 2 === 0 && i !== 20).reverse().map((r) => r.id));
    assert.equal(await r1.zscore(keys.byServer('srv-even'), recs[20]?.id as string), null, 'expired entry dropped from the index');
    await assert.rejects(() => s1.list({ limit: 5, cursor: 'garbage' }), (e: Error & { code?: string }) => e.code === 'INVALID_CURSOR');
  });

  it('trims index entries far older than the retention when an attachment ends', async () => {
    const ancient = newAttachmentRecord({ server_id: 'srv-trim' }, { now: Date.now() - 9 * 86_400_000 });
    const fresh = newAttachmentRecord({ server_id: 'srv-trim' });
    await s1.createMany([ancient, fresh]);
    await r1.del(keys.attachment(ancient.id)); // its retention ran out long ago
    await s1.finish(fresh.id, { status: 'succeeded' });
    assert.equal(await r1.zscore(keys.byServer('srv-trim'), ancient.id), null);
    assert.equal(await r1.zscore(keys.attachmentsIndex(), ancient.id), null);
    assert.notEqual(await r1.zscore(keys.byServer('srv-trim'), fresh.id), null);
  });

  it('cancels before the attach stage only', async () => {
    const early = newAttachmentRecord({ server_id: 'srv-c' });
    const late = { ...newAttachmentRecord({ server_id: 'srv-c' }), status: 'running' as const, stage: 'attach' as const };
    await s1.createMany([early, late]);
    assert.equal((await s1.cancel(early.id)).status, 'cancelled');
    await assert.rejects(() => s1.cancel(late.id), (e: Error & { code?: string; httpStatus?: number }) => e.code === 'ATTACHMENT_NOT_CANCELLABLE' && e.httpStatus === 409);
    await assert.rejects(() => s1.cancel(early.id), (e: Error & { code?: string }) => e.code === 'ATTACHMENT_NOT_CANCELLABLE');
    await assert.rejects(() => s1.cancel('att_nope'), (e: Error & { code?: string; httpStatus?: number }) => e.code === 'ATTACHMENT_NOT_FOUND' && e.httpStatus === 404);
    assert.equal((await s1.get(late.id))?.status, 'running');
  });
});
