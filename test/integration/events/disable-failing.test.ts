/**
 * An endpoint that keeps failing for webhook.disableAfterHours (here 0.0001 h = 360 ms) gets its subscription
 * disabled; its delivery goes to the dead-letter list, and a later event makes no delivery for it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { attachmentEvent, startHarness, type Harness } from './harness.js';

describe('subscriptions failing for too long', () => {
  let h: Harness;
  let rx: WebhookReceiver;
  let witness: WebhookReceiver;
  before(async () => {
    // The schedule alone would allow 6 attempts over ~3 s; the failing streak limit ends it sooner.
    h = await startHarness({ webhook: { retrySchedule: '200ms,200ms,200ms,200ms,2s', disableAfterHours: 0.0001 } });
    rx = await startWebhookReceiver({ fallback: 503 });
    witness = await startWebhookReceiver();
  });
  after(async () => {
    await h.close();
    await rx.close();
    await witness.close();
  });

  it('disables the subscription and dead-letters the delivery', async () => {
    const sub = await h.role.subscriptions.create({ url: rx.url });
    await h.role.subscriptions.create({ url: witness.url });
    const first = attachmentEvent();
    await h.addEvent(first);
    const id = `${first.id}.${sub.id}`;
    const dead = await waitUntil(async () => {
      const d = await h.role.deliveries.get(id);
      return d?.status === 'dead' ? d : undefined;
    }, { timeoutMs: 15_000, what: 'the delivery dead' });
    assert.ok(dead.attempts.length >= 2 && dead.attempts.length < 6, `${dead.attempts.length} attempts`);
    const view = await h.role.subscriptions.get(sub.id);
    assert.equal(view?.enabled, false);
    assert.match(view?.disabled_reason ?? '', /failing since/);
    assert.ok(view?.failing_since);
    const letters = await h.role.deliveries.listDead({ limit: 10 });
    assert.deepEqual(letters.deliveries.map((d) => d.id), [id]);

    const second = attachmentEvent();
    await h.addEvent(second);
    await waitUntil(() => (witness.requests.some((r) => r.headers['webhook-id'] === second.id) ? true : undefined), { timeoutMs: 10_000, what: 'the witness delivery' });
    assert.equal(await h.role.deliveries.get(`${second.id}.${sub.id}`), undefined);
    assert.equal(rx.requests.length, dead.attempts.length);
  });
});
