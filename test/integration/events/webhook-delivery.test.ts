/**
 * Webhook delivery end to end: events appended to the stream → dispatcher → webhook queue → a local receiver,
 * with the deliveries visible through the HTTP routes. Signatures are checked with the reference library.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { waitUntil } from '../../../src/lib/wait.js';
import { generateSecret } from '../../../src/events/signing.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { attachmentEvent, startHarness, type DeliveryView, type Harness } from './harness.js';

interface Created {
  id: string;
  secret: string;
  enabled: boolean;
  events: string[];
}

const CALLBACK_SECRET = generateSecret();

describe('webhook delivery', () => {
  let h: Harness;
  const receivers: WebhookReceiver[] = [];
  const secrets: string[] = [CALLBACK_SECRET];

  const receiver = async (...args: Parameters<typeof startWebhookReceiver>): Promise<WebhookReceiver> => {
    const r = await startWebhookReceiver(...args);
    receivers.push(r);
    return r;
  };
  const subscribe = async (url: string, events?: string[]): Promise<Created> => {
    const res = await h.api<Created>('POST', '/v1/webhooks', { url, ...(events ? { events } : {}), description: 'test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    secrets.push(res.body.secret);
    return res.body;
  };
  const deliveriesOf = async (subId: string, query = ''): Promise<DeliveryView[]> => {
    const res = await h.api<{ deliveries: DeliveryView[] }>('GET', `/v1/webhooks/${subId}/deliveries${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.deliveries;
  };
  const waitForDelivery = (subId: string, status: string, timeoutMs = 15_000): Promise<DeliveryView> =>
    waitUntil(async () => (await deliveriesOf(subId)).find((d) => d.status === status), { timeoutMs, what: `a ${status} delivery of ${subId}` });

  before(async () => {
    // timeoutMs: short enough for the never-answering receiver, long enough for a busy machine to answer a 500.
    h = await startHarness({ webhook: { retrySchedule: '100ms,200ms,400ms', timeoutMs: 1500, secret: CALLBACK_SECRET } });
  });
  after(async () => {
    await h.close();
    for (const r of receivers) await r.close();
  });

  it('retries a failing receiver: the same webhook-id arrives three times, each signature verifies, the attempts are listed', async () => {
    const rx = await receiver({ responses: [500, 500, 200] });
    const sub = await subscribe(rx.url);
    const event = attachmentEvent('attachment.succeeded');
    await h.addEvent(event);

    const reqs = await rx.waitForRequests(3);
    const wh = new Webhook(sub.secret);
    for (const r of reqs) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers['webhook-id'], event.id);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(String(r.headers['webhook-timestamp']), /^\d{10}$/);
      assert.match(String(r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
      const payload = wh.verify(r.body, r.headers as Record<string, string>);
      assert.deepEqual(payload, event);
    }
    // The schedule (100 ms, then 200 ms, ±15 %) separates the attempts.
    assert.ok(reqs[1]!.at - reqs[0]!.at >= 80, `first retry after ${reqs[1]!.at - reqs[0]!.at} ms`);
    assert.ok(reqs[2]!.at - reqs[1]!.at >= 165, `second retry after ${reqs[2]!.at - reqs[1]!.at} ms`);

    const d = await waitForDelivery(sub.id, 'delivered');
    assert.equal(d.id, `${event.id}.${sub.id}`);
    assert.equal(d.event_id, event.id);
    assert.deepEqual(
      d.attempts.map((a) => a.status_code),
      [500, 500, 200],
    );
    assert.deepEqual(
      d.attempts.map((a) => a.error),
      ['HTTP 500', 'HTTP 500', undefined],
    );
    for (const a of d.attempts) assert.ok(Number.isInteger(a.duration_ms) && a.duration_ms >= 0);
    assert.equal(rx.requests.length, 3, 'no attempt after the 2xx');

    const one = await h.api<DeliveryView>('GET', `/v1/webhooks/deliveries/${d.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.attempts.length, 3);
  });

  it('honours Retry-After when it is longer than the schedule', async () => {
    const rx = await receiver({ responses: [{ status: 503, headers: { 'retry-after': '1' } }, 200] });
    const sub = await subscribe(rx.url);
    await h.addEvent(attachmentEvent('attachment.failed'));
    const reqs = await rx.waitForRequests(2);
    assert.ok(reqs[1]!.at - reqs[0]!.at >= 950, `retried after ${reqs[1]!.at - reqs[0]!.at} ms, Retry-After asked 1 s`);
    const d = await waitForDelivery(sub.id, 'delivered');
    assert.deepEqual(
      d.attempts.map((a) => a.status_code),
      [503, 200],
    );
  });

  it('treats a redirect as a failure and never follows it', async () => {
    const elsewhere = await receiver();
    const rx = await receiver({ responses: [{ status: 302, headers: { location: elsewhere.url } }, 200] });
    const sub = await subscribe(rx.url);
    await h.addEvent(attachmentEvent());
    const d = await waitForDelivery(sub.id, 'delivered');
    assert.equal(d.attempts[0]?.status_code, 302);
    assert.match(d.attempts[0]?.error ?? '', /redirects are not followed/);
    assert.equal(elsewhere.requests.length, 0);
  });

  it('a 410 disables the subscription: no further deliveries to it', async () => {
    const rx = await receiver({ responses: [410] });
    const sub = await subscribe(rx.url);
    const witness = await receiver();
    await subscribe(witness.url);

    await h.addEvent(attachmentEvent());
    const gone = await waitForDelivery(sub.id, 'gone');
    assert.equal(gone.attempts.length, 1);
    assert.equal(gone.attempts[0]?.status_code, 410);
    const after410 = await h.api<{ enabled: boolean; disabled_reason?: string }>('GET', `/v1/webhooks/${sub.id}`);
    assert.equal(after410.body.enabled, false);
    assert.match(after410.body.disabled_reason ?? '', /410/);

    // A second event: the witness receives it, the disabled subscription gets no delivery.
    const second = attachmentEvent();
    await h.addEvent(second);
    await waitUntil(() => (witness.requests.some((r) => r.headers['webhook-id'] === second.id) ? true : undefined), { timeoutMs: 10_000, what: 'the witness delivery' });
    assert.equal(rx.requests.length, 1);
    assert.equal((await deliveriesOf(sub.id)).length, 1);
  });

  it('a receiver that never answers ends in the dead-letter list; replay delivers it once it answers', async () => {
    const rx = await receiver({ fallback: 'hang' });
    const sub = await subscribe(rx.url);
    const event = attachmentEvent('attachment.cancelled');
    await h.addEvent(event);

    const dead = await waitUntil(async () => (await deliveriesOf(sub.id, '?status=dead'))[0], { timeoutMs: 20_000, what: 'a dead delivery' });
    // One first attempt + one per schedule entry, each timed out.
    assert.equal(dead.attempts.length, 4);
    for (const a of dead.attempts) {
      assert.equal(a.status_code, undefined);
      assert.match(a.error ?? '', /timed out after 1500 ms/);
      assert.ok(a.duration_ms >= 1400, `attempt lasted ${a.duration_ms} ms`);
    }
    const letters = await h.api<{ deliveries: DeliveryView[] }>('GET', '/v1/webhooks/dead-letters');
    assert.ok(letters.body.deliveries.some((d) => d.id === dead.id));

    rx.script([], 200);
    const replay = await h.api<{ id: string; status: string; series: number }>('POST', `/v1/webhooks/deliveries/${dead.id}/replay`);
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    assert.deepEqual(replay.body, { id: dead.id, status: 'pending', series: 1 });

    const delivered = await waitForDelivery(sub.id, 'delivered');
    assert.equal(delivered.id, dead.id);
    assert.equal(delivered.series, 1);
    assert.equal(delivered.attempt_count, 1);
    assert.deepEqual(
      delivered.attempts.map((a) => a.series),
      [0, 0, 0, 0, 1],
    );
    const last = rx.requests[rx.requests.length - 1]!;
    assert.equal(last.headers['webhook-id'], event.id, 'a replay keeps the webhook-id');
    assert.deepEqual(new Webhook(sub.secret).verify(last.body, last.headers as Record<string, string>), event);
    const lettersAfter = await h.api<{ deliveries: DeliveryView[] }>('GET', '/v1/webhooks/dead-letters');
    assert.ok(!lettersAfter.body.deliveries.some((d) => d.id === dead.id), 'replayed delivery left the dead-letter list');
  });

  it('replay refuses unknown and still-pending deliveries', async () => {
    const unknown = await h.api<{ error: { code: string } }>('POST', `/v1/webhooks/deliveries/evt_00000000-0000-0000-0000-000000000000.cb/replay`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'WEBHOOK_DELIVERY_NOT_FOUND');

    const rx = await receiver({ fallback: 'hang' });
    const sub = await subscribe(rx.url);
    await h.addEvent(attachmentEvent());
    await rx.waitForRequests(1);
    const pending = (await deliveriesOf(sub.id))[0]!;
    assert.equal(pending.status, 'pending');
    const res = await h.api<{ error: { code: string } }>('POST', `/v1/webhooks/deliveries/${pending.id}/replay`);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'WEBHOOK_DELIVERY_PENDING');
    // Stop it: deleting the subscription cancels its remaining attempts.
    assert.equal((await h.api('DELETE', `/v1/webhooks/${sub.id}`)).status, 204);
    assert.equal((await h.api('GET', `/v1/webhooks/${sub.id}`)).status, 404);
    await waitUntil(async () => ((await h.role.deliveries.get(pending.id))?.status === 'cancelled' ? true : undefined), { timeoutMs: 10_000, what: 'the delivery cancelled' });
  });

  it('delivers only the event types a subscription asked for', async () => {
    const rx = await receiver();
    const sub = await subscribe(rx.url, ['attachment.failed']);
    const witness = await receiver();
    await subscribe(witness.url);
    const ok = attachmentEvent('attachment.succeeded');
    const failed = attachmentEvent('attachment.failed');
    await h.addEvent(ok);
    await h.addEvent(failed);
    await witness.waitForRequests(2);
    const d = await waitForDelivery(sub.id, 'delivered');
    assert.equal(d.event_id, failed.id);
    assert.deepEqual(
      rx.requests.map((r) => r.headers['webhook-id']),
      [failed.id],
    );
  });

  it('signs callback_url deliveries with WEBHOOK_SECRET', async () => {
    const rx = await receiver();
    const event = attachmentEvent('attachment.succeeded', { callback_url: rx.url });
    await h.addEvent(event);
    const [req] = await rx.waitForRequests(1);
    assert.equal(req!.headers['webhook-id'], event.id);
    assert.deepEqual(new Webhook(CALLBACK_SECRET).verify(req!.body, req!.headers as Record<string, string>), event);
    const d = await waitUntil(async () => {
      const res = await h.api<DeliveryView>('GET', `/v1/webhooks/deliveries/${event.id}.cb`);
      return res.status === 200 && res.body.status === 'delivered' ? res.body : undefined;
    }, { timeoutMs: 10_000, what: 'the callback delivery' });
    assert.equal(d.attempts.length, 1);
  });

  it('never writes a secret to the logs', () => {
    const logs = h.logs();
    assert.ok(logs.includes('webhook delivered'), 'the logs were captured');
    for (const s of secrets) {
      assert.ok(!logs.includes(s), 'a secret appeared in the logs');
      assert.ok(!logs.includes(s.slice('whsec_'.length)), 'a secret appeared in the logs');
    }
    assert.ok(!logs.includes('v1,'), 'a signature appeared in the logs');
  });
});
