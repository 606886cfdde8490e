/**
 * callback_url needs WEBHOOK_SECRET: without it such deliveries could only be dead-lettered, so the API refuses
 * them at submission (422 CALLBACK_URL_NOT_SIGNABLE) — single and batch, the batch's own and an item's — and
 * changes nothing (no record, no job, no Idempotency-Key claimed). With a secret they are accepted. The producer
 * library does the same with `callbackUrls: 'disabled'`, and the api role passes it from config.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, type Producer } from '../../../src/queues/producer.js';
import { createApiRole, type ApiRole } from '../../../src/app/roles/api.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { generateSecret } from '../../../src/events/signing.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { TEST_REDIS_URL } from '../../helpers/redis.js';
import { startHarness, SERVER_ID, OTHER_ID, TEST_KEY, type Harness } from './harness.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
const HOOK = 'https://example.com/hooks/nic';

describe('callback_url without WEBHOOK_SECRET', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    assert.equal(h.config.webhook.secret, '');
  });
  after(async () => {
    await h?.stop();
  });

  const assertNothingWritten = async (): Promise<void> => {
    assert.equal(await h.enqueued(), 0);
    assert.deepEqual(await h.recordKeys(), []);
    assert.equal(await h.cloudCalls(), 0);
  };

  it('POST /v1/attachments with a callback_url → 422 CALLBACK_URL_NOT_SIGNABLE naming WEBHOOK_SECRET; nothing written, the key not claimed', async () => {
    const res = await h.call<ErrorBody>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: HOOK }, headers: { 'idempotency-key': 'cb-1' } });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, 'CALLBACK_URL_NOT_SIGNABLE');
    assert.match(res.body.error.message, /WEBHOOK_SECRET is not configured/);
    assert.equal(res.body.error.details.field, 'callback_url');
    await assertNothingWritten();
  });

  it('a batch with its own callback_url, or one item with one → 422 naming the field; nothing written', async () => {
    const batch = await h.call<ErrorBody>('POST', '/v1/batches', { body: { items: [{ server_id: SERVER_ID }], callback_url: HOOK } });
    assert.equal(batch.status, 422, batch.text);
    assert.equal(batch.body.error.code, 'CALLBACK_URL_NOT_SIGNABLE');
    assert.equal(batch.body.error.details.field, 'callback_url');

    const item = await h.call<ErrorBody>('POST', '/v1/batches', { body: { items: [{ server_id: SERVER_ID }, { server_id: OTHER_ID, callback_url: HOOK }] } });
    assert.equal(item.status, 422, item.text);
    assert.equal(item.body.error.code, 'CALLBACK_URL_NOT_SIGNABLE');
    assert.equal(item.body.error.details.field, 'items[1].callback_url');
    assert.equal(item.body.error.details.index, 1);
    await assertNothingWritten();
  });

  it('a malformed callback_url is still a 400 (validation comes first)', async () => {
    const res = await h.call<ErrorBody>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: 'ftp://example.com/x' } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'INVALID_CALLBACK_URL');
    await assertNothingWritten();
  });

  it('the same Idempotency-Key without a callback_url is then accepted (202)', async () => {
    const res = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID }, headers: { 'idempotency-key': 'cb-1' } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.callback_url, undefined);
  });

  it('the api role refuses it too (it passes the mode to its producer)', async () => {
    const role: ApiRole = createApiRole(h.config, { logger: silentLogger() });
    await role.start();
    try {
      const res = await fetch(`${role.url}/v1/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ server_id: SERVER_ID, callback_url: HOOK }),
      });
      assert.equal(res.status, 422);
      assert.equal(((await res.json()) as ErrorBody).error.code, 'CALLBACK_URL_NOT_SIGNABLE');
    } finally {
      await role.stop();
    }
  });
});

describe('callback_url with WEBHOOK_SECRET', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ overrides: { webhook: { secret: generateSecret() } } });
  });
  after(async () => {
    await h?.stop();
  });

  it('is accepted on an attachment and on a batch and its items', async () => {
    const one = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: HOOK } });
    assert.equal(one.status, 202, one.text);
    assert.equal(one.body.callback_url, HOOK);
    const batch = await h.call<{ id: string; attachment_ids: string[] }>('POST', '/v1/batches', {
      body: { items: [{ server_id: SERVER_ID, callback_url: HOOK }], callback_url: HOOK },
    });
    assert.equal(batch.status, 202, batch.text);
    const view = await h.call<{ callback_url?: string }>('GET', `/v1/batches/${batch.body.id}`);
    assert.equal(view.body.callback_url, HOOK);
    assert.equal(await h.enqueued(), 2);
  });
});

describe("producer library: callbackUrls: 'disabled'", () => {
  let h: Harness;
  let disabled: Producer;
  let signed: Producer;
  before(async () => {
    h = await startHarness();
    disabled = createProducer({ redis: TEST_REDIS_URL, prefix: h.prefix, callbackUrls: 'disabled' });
    signed = createProducer({ redis: TEST_REDIS_URL, prefix: h.prefix });
  });
  after(async () => {
    await disabled?.close();
    await signed?.close();
    await h?.stop();
  });

  it('refuses callback_url on attach and attachBatch (AppError 422), writing nothing; the default accepts it', async () => {
    const refused = (err: unknown): boolean => err instanceof AppError && err.code === 'CALLBACK_URL_NOT_SIGNABLE' && err.httpStatus === 422;
    await assert.rejects(disabled.attach({ server_id: SERVER_ID, callback_url: HOOK }), refused);
    await assert.rejects(disabled.attachBatch([{ server_id: SERVER_ID }], { callback_url: HOOK }), refused);
    await assert.rejects(disabled.attachBatch([{ server_id: SERVER_ID, callback_url: HOOK }]), refused);
    assert.equal(await h.enqueued(), 0);
    assert.deepEqual(await h.recordKeys(), []);
    const ok = await disabled.attach({ server_id: SERVER_ID });
    assert.equal(ok.created, true);
    const withHook = await signed.attach({ server_id: SERVER_ID, callback_url: HOOK });
    assert.equal(withHook.attachment.callback_url, HOOK);
  });
});
