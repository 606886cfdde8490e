/**
 * Where events are appended (the record store's scripts): the stream is trimmed by age as well as by length, on
 * the store's injectable clock, by every append (terminal, batch.completed, stage_completed); and a stage is
 * reported once even when two copies of its job write at the same time.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { manualClock } from '../../../src/lib/clock.js';
import { createAttachmentStore, type StoreSettings } from '../../../src/workflow/record-store.js';
import { createKeys, type Keys } from '../../../src/workflow/keys.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import type { CompletionEvent } from '../../../src/workflow/types.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';

const DAY = 86_400_000;
const OLD = 250;
const RECENT = 3;

describe('events stream trimming and stage events at the record store', () => {
  const prefixes: string[] = [];
  const conns: Redis[] = [];
  after(async () => {
    for (const p of prefixes) await dropPrefix(TEST_REDIS_URL, p);
    for (const c of conns) c.disconnect();
  });

  const connect = (): Redis => {
    const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    conns.push(r);
    return r;
  };

  /**
   * A fresh stream holding OLD entries from 8 days before `now` and RECENT entries from 1 day before it (explicit
   * ids: stream ids are epoch ms). The clock is set 10 days ahead of the real time: with the real clock, none of
   * these entries would be old, so only a trim on the store's clock removes them.
   */
  const setup = async (settings: Partial<StoreSettings>): Promise<{ keys: Keys; redis: Redis; store: ReturnType<typeof createAttachmentStore>; now: number }> => {
    const prefix = freshPrefix('trim');
    prefixes.push(prefix);
    const keys = createKeys(prefix);
    const redis = connect();
    const now = Date.now() + 10 * DAY;
    const clock = manualClock(now);
    const pipe = redis.pipeline();
    for (let i = 0; i < OLD; i++) pipe.xadd(keys.events(), `${now - 8 * DAY}-${i + 1}`, 'event', '{}');
    for (let i = 0; i < RECENT; i++) pipe.xadd(keys.events(), `${now - DAY}-${i + 1}`, 'event', '{}');
    await pipe.exec();
    const store = createAttachmentStore({ streamMaxLen: 100_000, recordRetentionDays: 7, stageCompletedEvents: true, ...settings }, { redis, keys, clock });
    return { keys, redis, store, now };
  };

  const ages = async (redis: Redis, keys: Keys, now: number): Promise<{ old: number; recent: number; added: number }> => {
    // The filler entries hold '{}'; the store's events (whose ids Redis makes, after the filler's) hold an event.
    const entries = (await redis.xrange(keys.events(), '-', '+')).map(([id, f]) => ({ ms: Number(id.split('-')[0]), filler: f[1] === '{}' }));
    return {
      old: entries.filter((e) => e.filler && e.ms === now - 8 * DAY).length,
      recent: entries.filter((e) => e.filler && e.ms === now - DAY).length,
      added: entries.filter((e) => !e.filler).length,
    };
  };

  it('a terminal event trims entries older than the age limit (approximately: whole stream nodes) and keeps recent ones', async () => {
    const { keys, redis, store, now } = await setup({ streamMaxAgeMs: 7 * DAY });
    const rec = newAttachmentRecord({ server_id: 'srv-trim' });
    await store.create(rec);
    assert.equal(await store.finish(rec.id, { status: 'succeeded' }), true);
    const left = await ages(redis, keys, now);
    // '~' removes only whole nodes (100 entries each by default): at most one node's worth of old entries stays.
    assert.ok(left.old < 100, `${left.old} of ${OLD} old entries left`);
    assert.equal(left.recent, RECENT);
    assert.equal(left.added, 1, 'the new event');
  });

  it('0 turns the age limit off; the length limit still applies', async () => {
    const off = await setup({ streamMaxAgeMs: 0 });
    const rec = newAttachmentRecord({ server_id: 'srv-off' });
    await off.store.create(rec);
    await off.store.finish(rec.id, { status: 'failed' });
    assert.deepEqual(await ages(off.redis, off.keys, off.now), { old: OLD, recent: RECENT, added: 1 });

    const short = await setup({ streamMaxAgeMs: 0, streamMaxLen: 10 });
    const rec2 = newAttachmentRecord({ server_id: 'srv-len' });
    await short.store.create(rec2);
    await short.store.finish(rec2.id, { status: 'failed' });
    assert.ok((await short.redis.xlen(short.keys.events())) < OLD, 'MAXLEN ~ trimmed too');
  });

  it('a batch-ending finish and a stage_completed append trim by age too', async () => {
    const batch = await setup({ streamMaxAgeMs: 7 * DAY });
    const batchId = `bat_${randomUUID()}`;
    const rec = newAttachmentRecord({ server_id: 'srv-b' }, { batch_id: batchId });
    await batch.store.createMany([rec], { id: batchId, created_at: new Date(batch.now).toISOString() });
    // The item's event and batch.completed come from one script (each append trims; one test cannot tell which did).
    await batch.store.finish(rec.id, { status: 'succeeded' });
    const afterBatch = await ages(batch.redis, batch.keys, batch.now);
    assert.ok(afterBatch.old < 100, `${afterBatch.old} old entries left`);
    assert.equal(afterBatch.added, 2, 'the item event and batch.completed');

    const stage = await setup({ streamMaxAgeMs: 7 * DAY });
    const rec2 = newAttachmentRecord({ server_id: 'srv-s' });
    await stage.store.create(rec2);
    assert.equal(await stage.store.patch(rec2.id, { status: 'running', stage: 'subnet' }, { stageCompleted: 'network' }), true);
    const afterStage = await ages(stage.redis, stage.keys, stage.now);
    assert.ok(afterStage.old < 100, `${afterStage.old} old entries left after a stage event`);
    assert.equal(afterStage.recent, RECENT);
    assert.equal(afterStage.added, 1);
  });

  it('attachment.stage_completed is appended once when two copies of the same stage job write at the same time', async () => {
    const prefix = freshPrefix('stage');
    prefixes.push(prefix);
    const keys = createKeys(prefix);
    const settings = { streamMaxLen: 1000, recordRetentionDays: 7, stageCompletedEvents: true };
    const [a, b] = [connect(), connect()].map((redis) => createAttachmentStore(settings, { redis, keys }));
    const rec = newAttachmentRecord({ server_id: 'srv-dup' });
    await a!.create(rec);
    const fields = { status: 'running' as const, stage: 'subnet' as const, vpc_id: 'vpc-1' };
    const results = await Promise.all([a!.patch(rec.id, fields, { stageCompleted: 'network' }), b!.patch(rec.id, fields, { stageCompleted: 'network' })]);
    assert.deepEqual(results, [true, true], 'both writes apply (the record is not terminal)');
    // A late copy, after the stage moved on, reports nothing either.
    await b!.patch(rec.id, fields, { stageCompleted: 'network' });
    const events = (await conns[conns.length - 1]!.xrange(keys.events(), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as CompletionEvent);
    const stageEvents = events.filter((e) => e.type === 'attachment.stage_completed');
    assert.equal(stageEvents.length, 1);
    assert.equal((stageEvents[0]!.data as { completed_stage: string; stage: string }).completed_stage, 'network');
    assert.equal((stageEvents[0]!.data as { stage: string }).stage, 'subnet');
  });
});
