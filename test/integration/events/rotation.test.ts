/**
 * Secret rotation: during the overlap both secrets sign (two v1 signatures in one header) and either verifies;
 * after it only the new one signs. The API never shows a secret again after create/rotate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { waitUntil } from '../../../src/lib/wait.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { attachmentEvent, startHarness, type Harness } from './harness.js';

// 0.001 h = 3.6 s of overlap: long enough for one delivery on a busy machine, short enough to wait out.
const OVERLAP_HOURS = 0.001;

describe('webhook secret rotation', () => {
  let h: Harness;
  let rx: WebhookReceiver;
  before(async () => {
    h = await startHarness({ webhook: { secretOverlapHours: OVERLAP_HOURS } });
    rx = await startWebhookReceiver();
  });
  after(async () => {
    await h.close();
    await rx.close();
  });

  const deliverOne = async (): Promise<ReceivedRequest> => {
    const e = attachmentEvent();
    await h.addEvent(e);
    return waitUntil(() => rx.requests.find((r) => r.headers['webhook-id'] === e.id), { timeoutMs: 10_000, what: 'the delivery' });
  };
  const verifies = (secret: string, r: ReceivedRequest): boolean => {
    try {
      new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  };

  it('signs with both secrets during the overlap and with the new one only after it', async () => {
    const created = await h.api<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: rx.url });
    assert.equal(created.status, 201);
    const oldSecret = created.body.secret;
    assert.match(oldSecret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'whsec_ + base64 of 32 bytes');

    const before = await deliverOne();
    assert.equal(String(before.headers['webhook-signature']).split(' ').length, 1);
    assert.ok(verifies(oldSecret, before));

    const started = Date.now();
    const rotated = await h.api<{ secret: string; previous_secret_expires_at: string }>('POST', `/v1/webhooks/${created.body.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    const newSecret = rotated.body.secret;
    assert.notEqual(newSecret, oldSecret);
    const expiresAt = Date.parse(rotated.body.previous_secret_expires_at);
    assert.ok(Math.abs(expiresAt - (started + OVERLAP_HOURS * 3_600_000)) < 1_000);

    const during = await deliverOne();
    assert.ok(Date.now() < expiresAt, 'the overlap lasted through the delivery');
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    assert.ok(verifies(newSecret, during), 'the new secret verifies during the overlap');
    assert.ok(verifies(oldSecret, during), 'the old secret verifies during the overlap');

    await waitUntil(() => (Date.now() > expiresAt + 50 ? true : undefined), { timeoutMs: 10_000, what: 'the overlap to end' });
    const afterOverlap = await deliverOne();
    assert.equal(String(afterOverlap.headers['webhook-signature']).split(' ').length, 1);
    assert.ok(verifies(newSecret, afterOverlap), 'the new secret verifies');
    assert.ok(!verifies(oldSecret, afterOverlap), 'the old secret no longer verifies');

    // Neither GET shows a secret.
    const one = await h.api<Record<string, unknown>>('GET', `/v1/webhooks/${created.body.id}`);
    const list = await h.api<{ webhooks: Array<Record<string, unknown>> }>('GET', '/v1/webhooks');
    for (const body of [one.body, ...list.body.webhooks]) {
      assert.equal(body.secret, undefined);
      assert.equal(body.secrets, undefined);
      assert.ok(!JSON.stringify(body).includes('whsec_'));
    }
  });

  it('rotating an unknown subscription is a 404', async () => {
    const res = await h.api<{ error: { code: string } }>('POST', '/v1/webhooks/wh_00000000-0000-0000-0000-000000000000/rotate-secret');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'WEBHOOK_NOT_FOUND');
  });
});
