/**
 * callback_url targets at submission (src/queues/producer-callback-targets.ts): with WEBHOOK_ALLOW_PRIVATE off, a
 * loopback/private/link-local IP literal or localhost is refused (400 CALLBACK_URL_FORBIDDEN, nothing written, no
 * key claimed) — also by the api role, whose producer is made without the setting; a host name is not resolved
 * (the delivery checks it). With it on, private targets pass and metadata addresses are still refused. The
 * producer library: `allowPrivateCallbacks: false` refuses as the API does; the default refuses metadata only.
 * (The bad-input table has more forms of these URLs.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApiRole } from '../../../src/app/roles/api.js';
import { createProducer } from '../../../src/queues/producer.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { generateSecret } from '../../../src/events/signing.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { TEST_REDIS_URL } from '../../helpers/redis.js';
import { startHarness, SERVER_ID, TEST_KEY, type Harness } from './harness.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

describe('callback_url targets, WEBHOOK_ALLOW_PRIVATE off', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ overrides: { webhook: { allowPrivate: false, secret: generateSecret() } } });
  });
  after(async () => {
    await h?.stop();
  });

  it('refuses a loopback literal with 400 naming the field and the address class; the Idempotency-Key is not claimed', async () => {
    const res = await h.call<ErrorBody>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: 'http://127.0.0.1:9000/x' }, headers: { 'idempotency-key': 'cbt-1' } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'CALLBACK_URL_FORBIDDEN');
    assert.equal(res.body.error.details.field, 'callback_url');
    assert.match(res.body.error.message, /host 127\.0\.0\.1 is a loopback address; such targets are refused unless WEBHOOK_ALLOW_PRIVATE/);
    assert.deepEqual(await h.recordKeys(), []);
    assert.equal(await h.enqueued(), 0);
    // The same key with an acceptable body is then free to use.
    const ok = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: 'https://hooks.example.com/x' }, headers: { 'idempotency-key': 'cbt-1' } });
    assert.equal(ok.status, 202, ok.text);
  });

  it('accepts a host name without resolving it (the delivery checks what it resolves to)', async () => {
    const res = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: 'http://hooks.internal.invalid/x' } });
    assert.equal(res.status, 202, res.text);
  });

  it('the api role refuses it too (its producer is made without the setting: the route checks)', async () => {
    const role = createApiRole(h.config, { logger: silentLogger() });
    await role.start();
    try {
      const res = await fetch(`${role.url}/v1/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ server_id: SERVER_ID }, { server_id: SERVER_ID, callback_url: 'http://[::1]/x' }] }),
      });
      const body = (await res.json()) as ErrorBody;
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.error.code, 'CALLBACK_URL_FORBIDDEN');
      assert.equal(body.error.details.field, 'items[1].callback_url');
      assert.equal(body.error.details.index, 1);
    } finally {
      await role.stop();
    }
  });
});

describe('callback_url targets, WEBHOOK_ALLOW_PRIVATE on', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ overrides: { webhook: { allowPrivate: true, secret: generateSecret() } } });
  });
  after(async () => {
    await h?.stop();
  });

  it('accepts private targets; a cloud metadata address is refused still', async () => {
    const ok = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: SERVER_ID, callback_url: 'http://127.0.0.1:9000/x' } });
    assert.equal(ok.status, 202, ok.text);
    const before = await h.enqueued();
    const meta = await h.call<ErrorBody>('POST', '/v1/batches', { body: { items: [{ server_id: SERVER_ID }], callback_url: 'http://169.254.169.254/latest/' } });
    assert.equal(meta.status, 400, meta.text);
    assert.equal(meta.body.error.code, 'CALLBACK_URL_FORBIDDEN');
    assert.match(meta.body.error.message, /cloud metadata service address; such targets are always refused/);
    assert.equal(await h.enqueued(), before);
  });

  it('the producer library: allowPrivateCallbacks false refuses as the API does; the default refuses metadata only', async () => {
    const strict = createProducer({ redis: TEST_REDIS_URL, prefix: h.prefix, allowPrivateCallbacks: false });
    const open = createProducer({ redis: TEST_REDIS_URL, prefix: h.prefix });
    try {
      const forbidden = (err: unknown): boolean => err instanceof AppError && err.code === 'CALLBACK_URL_FORBIDDEN' && err.httpStatus === 400;
      await assert.rejects(strict.attach({ server_id: SERVER_ID, callback_url: 'http://192.168.1.10/x' }), forbidden);
      await assert.rejects(strict.attachBatch([{ server_id: SERVER_ID }], { callback_url: 'http://localhost/x' }), forbidden);
      await assert.rejects(open.attach({ server_id: SERVER_ID, callback_url: 'http://169.254.169.254/' }), forbidden);
      const ok = await open.attach({ server_id: SERVER_ID, callback_url: 'http://192.168.1.10/x' });
      assert.equal(ok.created, true);
    } finally {
      await strict.close();
      await open.close();
    }
  });
});
