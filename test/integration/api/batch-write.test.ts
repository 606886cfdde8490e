/**
 * How an accepted batch lands in Redis: every record, its index entries and the batch hash in one write (the
 * create script), then the first-stage jobs — also for a batch larger than one chunk of the script's unpack()
 * (2,000 score/member pairs per ZADD), so a raised BATCH_MAX_ITEMS is written whole. No workers run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createProducer, type Producer } from '../../../src/queues/producer.js';
import { createKeys } from '../../../src/workflow/keys.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';

const ITEMS = 4_100;

describe('batch write', () => {
  const prefix = freshPrefix('batch-write');
  const keys = createKeys(prefix);
  let redis: Redis;
  let producer: Producer;

  before(() => {
    redis = new Redis(TEST_REDIS_URL);
    producer = createProducer({ redis, prefix, batchMaxItems: ITEMS });
  });
  after(async () => {
    await producer?.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
    await redis?.quit();
  });

  it(`writes a ${ITEMS}-item batch whole: records, indexes, batch hash and one job each`, async () => {
    const servers = Array.from({ length: 10 }, () => randomUUID());
    const items = Array.from({ length: ITEMS }, (_, i) => ({ server_id: servers[i % servers.length] as string, metadata: { i } }));
    const batch = await producer.attachBatch(items, { metadata: { run: 'big' } });
    assert.equal(batch.total, ITEMS);

    assert.equal(await redis.zcard(keys.batchItems(batch.id)), ITEMS);
    assert.equal(await redis.zcard(keys.byStatus('queued')), ITEMS);
    assert.equal(await redis.zcard(keys.attachmentsIndex()), ITEMS);
    const perServer = await Promise.all(servers.map((s) => redis.zcard(keys.byServer(s))));
    assert.equal(perServer.reduce((a, b) => a + b, 0), ITEMS);
    assert.deepEqual(await redis.zrange(keys.batchItems(batch.id), 0, -1), batch.attachment_ids, 'item order');

    const view = await producer.getBatch(batch.id);
    assert.equal(view?.total, ITEMS);
    assert.equal(view?.counts.queued, ITEMS);
    assert.deepEqual(view?.metadata, { run: 'big' });

    const last = batch.attachment_ids[ITEMS - 1] as string;
    const record = await producer.get(last);
    assert.equal(record?.status, 'queued');
    assert.equal(record?.stage, 'network');
    assert.equal(record?.batch_id, batch.id);
    assert.deepEqual(record?.metadata, { i: ITEMS - 1 });
    assert.deepEqual(record?.request, items[ITEMS - 1]);
    assert.equal(await redis.exists(`${prefix}:network:${last}.network`), 1, 'its first-stage job');
    assert.equal(await redis.llen(`${prefix}:network:wait`), ITEMS);
  });
});
