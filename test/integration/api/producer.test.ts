/**
 * The producer library as another service would use it (imported from the package entry, src/index.ts), on
 * the same Redis and prefix as running workers: attach → waitFor, batches, validation errors, a connection the
 * caller owns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AppError, ValidationError, createProducer, validateBatchRequest, type Producer } from '../../../src/index.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';

describe('producer library', () => {
  let emulator: TestEmulator;
  let workers: TestWorkers;
  let producer: Producer;
  let server: string;

  before(async () => {
    emulator = await startTestEmulator();
    workers = await startTestWorkers({ emulator });
    producer = createProducer({ redis: TEST_REDIS_URL, prefix: workers.prefix });
    server = (await emulator.control.createServer({ name: 'lib' })).id;
  });
  after(async () => {
    await producer?.close();
    await workers?.stop();
    await emulator?.stop();
  });

  it('attach → waitFor resolves with the succeeded record', async () => {
    const { attachment, created } = await producer.attach({ server_id: server, metadata: { via: 'library' } });
    assert.equal(created, true);
    assert.equal(attachment.status, 'queued');
    const done = await producer.waitFor(attachment.id, { timeoutMs: 30_000, intervalMs: 50 });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.ok(done.nic_id);
    assert.deepEqual((await producer.get(attachment.id))?.metadata, { via: 'library' });
  });

  it('an Idempotency-Key makes a retry return the same attachment', async () => {
    const a = await producer.attach({ server_id: server }, { idempotencyKey: 'lib-1' });
    const b = await producer.attach({ server_id: server }, { idempotencyKey: 'lib-1' });
    assert.equal(b.attachment.id, a.attachment.id);
    assert.equal(b.created, false);
    await assert.rejects(producer.attach({ server_id: server, metadata: { x: 1 } }, { idempotencyKey: 'lib-1' }), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'IDEMPOTENCY_KEY_REUSED');
      return true;
    });
  });

  it('attachBatch enqueues the items; getBatch counts them to the end', async () => {
    const batch = await producer.attachBatch([{ server_id: server }, { server_id: server }], { metadata: { run: 'lib' } });
    assert.equal(batch.total, 2);
    const records = await Promise.all(batch.attachment_ids.map((id) => producer.waitFor(id, { timeoutMs: 30_000, intervalMs: 50 })));
    assert.deepEqual(records.map((r) => r.status), ['succeeded', 'succeeded']);
    const view = await producer.getBatch(batch.id);
    assert.equal(view?.counts.succeeded, 2);
    assert.deepEqual(view?.metadata, { run: 'lib' });
  });

  it('refuses bad requests with the API codes, before writing anything', async () => {
    await assert.rejects(producer.attach({ server_id: server, subnet: { name: 'x', cidr: '10.0.0.0/24', gateway_ip: '10.0.1.1' } }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.code, 'GATEWAY_OUTSIDE_SUBNET');
      assert.equal(err.details?.field, 'subnet.gateway_ip');
      return true;
    });
    await assert.rejects(producer.attachBatch([{ server_id: server }, { server_id: 'nope' }]), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.details?.index, 1);
      return true;
    });
  });

  it('attachBatchValidated enqueues a validated body as attachBatch would (same Idempotency-Key hash), within its own item limit', async () => {
    const prefix = freshPrefix('lib-validated');
    const own = new Redis(TEST_REDIS_URL);
    const small = createProducer({ redis: own, prefix, batchMaxItems: 2 });
    try {
      const items = [{ server_id: server }, { server_id: server, metadata: { n: 2 } }];
      const body = validateBatchRequest({ items, metadata: { run: 'validated' } }, { maxItems: 10 });
      const first = await small.attachBatchValidated(body, { idempotencyKey: 'validated-1' });
      assert.equal(first.created, true);
      assert.equal(first.total, 2);
      for (const id of first.attachment_ids) {
        assert.equal((await small.get(id))?.status, 'queued');
        assert.equal(await own.exists(`${prefix}:network:${id}.network`), 1, `the first-stage job of ${id}`);
      }
      assert.deepEqual((await small.getBatch(first.id))?.metadata, { run: 'validated' });
      const again = await small.attachBatch(items, { metadata: { run: 'validated' }, idempotencyKey: 'validated-1' });
      assert.deepEqual([again.id, again.created], [first.id, false]);
      const three = validateBatchRequest({ items: [...items, { server_id: server }] }, { maxItems: 10 });
      await assert.rejects(small.attachBatchValidated(three), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'BATCH_TOO_LARGE');
        assert.equal(err.httpStatus, 413);
        return true;
      });
    } finally {
      await small.close();
      await dropPrefix(TEST_REDIS_URL, prefix);
      await own.quit();
    }
  });

  it('waitFor gives up with WAIT_TIMEOUT; a connection the caller owns stays open after close()', async () => {
    const prefix = freshPrefix('lib-idle');
    const own = new Redis(TEST_REDIS_URL);
    const idle = createProducer({ redis: own, prefix });
    try {
      const { attachment } = await idle.attach({ server_id: server });
      await assert.rejects(idle.waitFor(attachment.id, { timeoutMs: 200, intervalMs: 20 }), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'WAIT_TIMEOUT');
        return true;
      });
      await assert.rejects(idle.waitFor('att_00000000-0000-4000-8000-000000000000'), /does not exist/);
    } finally {
      await idle.close();
    }
    assert.equal(await own.ping(), 'PONG');
    await dropPrefix(TEST_REDIS_URL, prefix);
    await own.quit();
  });
});
