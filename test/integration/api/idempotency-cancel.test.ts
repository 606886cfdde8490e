/**
 * Idempotency-Key and cancel, with no workers running: attachments stay queued at the network stage, so
 * "before attach" is deterministic; "after attach" is set up through the record store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { cleanupJobId, stageJobId } from '../../../src/queues/names.js';
import { startHarness, SERVER_ID, OTHER_ID, type Harness } from './harness.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

describe('API: Idempotency-Key', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ overrides: { api: { idempotencyTtlHours: 2 } } });
  });
  after(async () => {
    await h?.stop();
  });

  it('same key + same body → the same attachment (202 then 200), one record, one job', async () => {
    const body = { server_id: SERVER_ID, subnet: { id: OTHER_ID }, metadata: { a: 1, b: 2 } };
    const first = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body, headers: { 'idempotency-key': 'order-1' } });
    assert.equal(first.status, 202, first.text);
    // The same body with its keys in another order is the same request.
    const reordered = { metadata: { b: 2, a: 1 }, subnet: { id: OTHER_ID }, server_id: SERVER_ID };
    const second = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: reordered, headers: { 'idempotency-key': 'order-1' } });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.idempotency_key, 'order-1');
    assert.equal((await h.recordKeys()).filter((k) => k.includes(':att:')).length, 1);
    assert.equal(await h.enqueued(), 1);
  });

  it('same key + another body → 409 IDEMPOTENCY_KEY_REUSED naming the earlier attachment; nothing added', async () => {
    const first = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID }, headers: { 'idempotency-key': 'order-2' } });
    assert.equal(first.status, 202);
    const before = await h.enqueued();
    const other = await h.call<ErrorBody>('POST', '/v1/attachments', { body: { server_id: OTHER_ID }, headers: { 'idempotency-key': 'order-2' } });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(other.body.error.details.id, first.body.id);
    assert.equal(await h.enqueued(), before);
  });

  it('remembers a key for the configured time', async () => {
    await h.call('POST', '/v1/attachments', { body: { server_id: SERVER_ID }, headers: { 'idempotency-key': 'order-ttl' } });
    const pttl = await h.workers.redis.pttl(h.workers.keys.idempotency('order-ttl'));
    assert.ok(pttl > 2 * 3_600_000 - 60_000 && pttl <= 2 * 3_600_000, `pttl ${pttl}`);
  });

  it('concurrent requests with one key make exactly one attachment', async () => {
    const body = { server_id: SERVER_ID, port: { fixed_ip: '10.0.0.77' } };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h.call<AttachmentRecord>('POST', '/v1/attachments', { body, headers: { 'idempotency-key': 'order-race' } })),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    const id = results[0]?.body.id ?? '';
    assert.ok(await h.workers.queues.queues.network.getJob(stageJobId(id, 'network')));
  });

  it('a batch retried with its key is the same batch, enqueued once', async () => {
    const body = { items: [{ server_id: SERVER_ID }, { server_id: OTHER_ID }] };
    const before = await h.enqueued();
    const first = await h.call<{ id: string; attachment_ids: string[] }>('POST', '/v1/batches', { body, headers: { 'idempotency-key': 'batch-1' } });
    assert.equal(first.status, 202, first.text);
    const again = await h.call<{ id: string; attachment_ids: string[] }>('POST', '/v1/batches', { body, headers: { 'idempotency-key': 'batch-1' } });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, first.body);
    assert.equal(await h.enqueued(), before + 2);
    const other = await h.call<ErrorBody>('POST', '/v1/batches', { body: { items: [{ server_id: SERVER_ID }] }, headers: { 'idempotency-key': 'batch-1' } });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('a claim whose record was never written (writer died) is completed by the retry', async () => {
    // What a producer that died between the SET NX and the record write leaves behind.
    const id = 'att_0badc0de-0000-4000-8000-000000000001';
    const { requestHash } = await import('../../../src/workflow/request/index.js');
    const request = { server_id: SERVER_ID, metadata: { crash: true } };
    await h.workers.redis.set(h.workers.keys.idempotency('order-crash'), JSON.stringify({ id, hash: requestHash({ kind: 'attachment', request }) }), 'PX', 60_000);
    const res = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: request, headers: { 'idempotency-key': 'order-crash' } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.id, id);
    assert.ok(await h.workers.queues.queues.network.getJob(stageJobId(id, 'network')), 'its first stage is enqueued');
  });
});

describe('API: cancel', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('cancels a queued attachment: 200 cancelled, an attachment.cancelled event, a cleanup job; again → 409', async () => {
    const created = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID } });
    assert.equal(created.status, 202);
    const id = created.body.id;
    const res = await h.call<AttachmentRecord>('POST', `/v1/attachments/${id}/cancel`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'cancelled');
    assert.equal((await h.call<AttachmentRecord>('GET', `/v1/attachments/${id}`)).body.status, 'cancelled');
    const events = await h.call<{ events: Array<{ type: string; data: { id: string } }> }>('GET', '/v1/events');
    assert.ok(events.body.events.some((e) => e.type === 'attachment.cancelled' && e.data.id === id));
    assert.ok(await h.workers.queues.queues.cleanup.getJob(cleanupJobId(id)), 'cleanup job added');

    const again = await h.call<ErrorBody>('POST', `/v1/attachments/${id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'ATTACHMENT_NOT_CANCELLABLE');
  });

  it('refuses to cancel once the attachment reached the attach stage (409), and changes nothing', async () => {
    const created = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID } });
    const id = created.body.id;
    assert.equal(await h.workers.store.patch(id, { status: 'running', stage: 'attach', port_id: OTHER_ID }), true);
    const res = await h.call<ErrorBody>('POST', `/v1/attachments/${id}/cancel`);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'ATTACHMENT_NOT_CANCELLABLE');
    assert.equal(res.body.error.details.stage, 'attach');
    const record = (await h.call<AttachmentRecord>('GET', `/v1/attachments/${id}`)).body;
    assert.equal(record.status, 'running');
    assert.equal(await h.workers.queues.queues.cleanup.getJob(cleanupJobId(id)), undefined);
  });

  it('cancelling an unknown attachment → 404', async () => {
    const res = await h.call<ErrorBody>('POST', '/v1/attachments/att_00000000-0000-4000-8000-00000000dead/cancel');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'ATTACHMENT_NOT_FOUND');
  });
});

describe('API: cancel starts cleanup at once', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ workers: true });
  });
  after(async () => {
    await h?.stop();
  });

  it('a port made before the cancel (the port stage died before recording it) is deleted promptly, not when a stalled job comes back', async () => {
    const server = await h.emulator.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    const subnet = (await h.emulator.control.state()).subnets.find((s) => s.vpc_id === vpcId);
    assert.ok(subnet);
    // What a port stage that died after CreatePort leaves: a record at port (no job running it) and the port.
    const { newAttachmentRecord } = await import('../../../src/workflow/new-record.js');
    const record = newAttachmentRecord({ server_id: server.id });
    await h.workers.store.create(record);
    assert.equal(await h.workers.store.patch(record.id, { status: 'running', stage: 'port', vpc_id: vpcId, subnet_id: subnet.id }), true);
    const port = await h.workers.cloud.createPort({ network_id: subnet.id, name: `nicattach-${record.id}` });

    const res = await h.call<AttachmentRecord>('POST', `/v1/attachments/${record.id}/cancel`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'cancelled');
    const cleaned = await h.workers.waitForCleanup(record.id, 20_000);
    assert.equal(cleaned.cleanup?.status, 'done', JSON.stringify(cleaned.cleanup));
    assert.equal(cleaned.cleanup?.port_deleted, true);
    assert.deepEqual(await h.workers.cloud.listAllPorts({ name: `nicattach-${record.id}` }), []);
    assert.equal((await h.emulator.control.state()).ports.some((p) => p.id === port.id), false);
  });
});
