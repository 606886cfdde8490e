/**
 * POST /v1/webhooks/{id}/enable: a subscription disabled by a 410 gets deliveries again once re-enabled, and
 * enabling resets its failure window (failing_since), so a long failing run before does not disable it again at
 * the next failure. Unknown ids are 404.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { attachmentEvent, startHarness, type Harness } from './harness.js';

type Sub = { id: string; enabled: boolean; disabled_at?: string; disabled_reason?: string; failing_since?: string };
type Err = { error: { code: string } };

describe('re-enabling a webhook subscription', () => {
  let h: Harness;
  let rx: WebhookReceiver;
  before(async () => {
    h = await startHarness({ webhook: { disableAfterHours: 1 } });
    rx = await startWebhookReceiver({ responses: [410], fallback: 200 });
  });
  after(async () => {
    await h?.close();
    await rx?.close();
  });

  it('a subscription disabled by 410 is enabled again and receives the next event', async () => {
    const created = await h.api<Sub & { secret: string }>('POST', '/v1/webhooks', { url: rx.url });
    assert.equal(created.status, 201);
    const id = created.body.id;

    const first = attachmentEvent();
    await h.addEvent(first);
    const disabled = await waitUntil(async () => {
      const s = await h.api<Sub>('GET', `/v1/webhooks/${id}`);
      return s.body.enabled === false ? s.body : undefined;
    }, { timeoutMs: 10_000, what: 'the subscription disabled by the 410' });
    assert.ok(disabled.disabled_reason);

    const enabled = await h.api<Sub>('POST', `/v1/webhooks/${id}/enable`);
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.enabled, true);
    assert.equal(enabled.body.disabled_at, undefined);
    assert.equal(enabled.body.disabled_reason, undefined);
    assert.equal(enabled.body.failing_since, undefined);
    assert.equal((await h.api<Sub>('GET', `/v1/webhooks/${id}`)).body.enabled, true);

    const second = attachmentEvent();
    await h.addEvent(second);
    const got = await waitUntil(() => rx.requests.find((r) => r.headers['webhook-id'] === second.id && r.answered === 200), { timeoutMs: 10_000, what: 'the delivery after enabling' });
    assert.ok(got);
    const delivery = await waitUntil(async () => {
      const d = await h.role.deliveries.get(`${second.id}.${id}`);
      return d?.status === 'delivered' ? d : undefined;
    }, { timeoutMs: 10_000, what: 'the delivery recorded as delivered' });
    assert.equal(delivery.status, 'delivered');
  });

  it('resets the failure window: after enabling, the next failure starts a new run instead of disabling at once', async () => {
    const sub = await h.role.subscriptions.create({ url: rx.url });
    // A failing run that began long ago (more than disableAfterHours = 1 h) and is still going (a failure just now).
    const longAgo = '2020-01-01T00:00:00.000Z';
    await h.redis.hset(h.keys.custom('wh', 'sub', sub.id), 'failing_since', longAgo, 'last_failure_ms', String(Date.now()));
    assert.equal((await h.role.subscriptions.get(sub.id))?.failing_since, longAgo);

    const res = await h.api<Sub>('POST', `/v1/webhooks/${sub.id}/enable`);
    assert.equal(res.status, 200);
    assert.equal(res.body.enabled, true);
    assert.equal(res.body.failing_since, undefined);

    const startedAt = Date.now();
    assert.equal(await h.role.subscriptions.noteFailure(sub.id, { maxGapMs: 3_600_000 }), false, 'one failure after enabling does not disable it');
    const view = await h.role.subscriptions.get(sub.id);
    assert.equal(view?.enabled, true);
    assert.ok(Date.parse(view?.failing_since ?? '') >= startedAt - 1000, `failing_since ${view?.failing_since}`);
  });

  it('unknown or malformed ids → 404 WEBHOOK_NOT_FOUND, nothing created', async () => {
    for (const id of ['wh_00000000-0000-0000-0000-000000000000', 'nope']) {
      const res = await h.api<Err>('POST', `/v1/webhooks/${id}/enable`);
      assert.equal(res.status, 404, id);
      assert.equal(res.body.error.code, 'WEBHOOK_NOT_FOUND');
    }
    assert.equal(await h.redis.exists(h.keys.custom('wh', 'sub', 'wh_00000000-0000-0000-0000-000000000000')), 0);
  });
});
