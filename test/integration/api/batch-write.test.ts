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
    // Every other item has its own callback_url: a field some records have and others not.
    const items = Array.from({ length: ITEMS }, (_, i) => ({
      server_id: servers[i % servers.length] as string,
      metadata: { i },
      ...(i % 2 === 0 ? { callback_url: `https://example.com/hooks/${i}` } : {}),
    }));
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

    const [first, last] = await producer.getMany([batch.attachment_ids[0] as string, batch.attachment_ids[ITEMS - 1] as string]);
    assert.equal(first?.callback_url, 'https://example.com/hooks/0');
    assert.deepEqual(first?.request, items[0]);
    assert.ok(last);
    assert.deepEqual(
      { ...last, created_at: undefined, updated_at: undefined },
      {
        id: batch.attachment_ids[ITEMS - 1],
        status: 'queued',
        stage: 'network',
        server_id: items[ITEMS - 1]?.server_id,
        request: items[ITEMS - 1],
        batch_id: batch.id,
        metadata: { i: ITEMS - 1 },
        stages: {},
        cloud_calls: 0,
        created_at: undefined,
        updated_at: undefined,
      },
    );
    assert.equal(last.created_at, first?.created_at);
    assert.equal(last.updated_at, last.created_at);
    assert.equal(await redis.zscore(keys.attachmentsIndex(), last.id), String(Date.parse(last.created_at)));
    assert.equal(await redis.exists(`${prefix}:network:${last.id}.network`), 1, 'its first-stage job');
    assert.equal(await redis.llen(`${prefix}:network:wait`), ITEMS);
  });

  it('a write Redis refuses leaves no record, index or batch behind, and releases the Idempotency-Key', async () => {
    const own = freshPrefix('batch-refused');
    const ownKeys = createKeys(own);
    const refusing = createProducer({ redis, prefix: own });
    try {
      const server = randomUUID();
      await redis.set(ownKeys.byServer(server), 'not a sorted set');
      const items = [{ server_id: randomUUID() }, { server_id: server }];
      await assert.rejects(refusing.attachBatch(items, { idempotencyKey: 'refused-1' }), /WRONGTYPE/);
      assert.equal(await redis.exists(ownKeys.idempotency('refused-1')), 0, 'the claim is released');
      // The jobs went out behind the write (their worker drops them: no record); nothing of the records did.
      const written = (await redis.keys(`${own}:*`)).filter((k) => /^[^:]+:(att|att-index|att-by-status|att-by-server|batch|batch-items)(:|$)/.test(k));
      assert.deepEqual(written, [ownKeys.byServer(server)], 'only the key that refused the write');

      await redis.del(ownKeys.byServer(server));
      const retry = await refusing.attachBatch(items, { idempotencyKey: 'refused-1' });
      assert.equal(retry.created, true);
      assert.equal((await refusing.getBatch(retry.id))?.counts.queued, 2);
    } finally {
      await refusing.close();
      await dropPrefix(TEST_REDIS_URL, own);
    }
  });
});
