/**
 * "Failing for webhook.disableAfterHours" means failing continuously: a failure long after the previous one (more
 * than the longest retry wait) starts a new run instead of disabling the subscription at once. Real HTTP to a
 * receiver that answers 503; the stores and the delivery runner run on a manual clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { manualClock } from '../../../src/lib/clock.js';
import { parseDurationList } from '../../../src/lib/backoff.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createDeliveryStore } from '../../../src/events/deliveries.js';
import { createDeliveryRunner, runGapMs, type DeliveryRunner } from '../../../src/events/delivery.js';
import { createOutboundAgents, type OutboundAgents } from '../../../src/events/outbound-guard.js';
import { createSubscriptionStore, type SubscriptionStore } from '../../../src/events/subscriptions.js';
import type { DeliveryStore } from '../../../src/events/deliveries.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { startHarness, type Harness } from './harness.js';

const HOUR = 3_600_000;

describe('a subscription is disabled only by a continuous failing run', () => {
  let h: Harness;
  let rx: WebhookReceiver;
  let agents: OutboundAgents;
  const clock = manualClock(Date.now());
  let subs: SubscriptionStore;
  let deliveries: DeliveryStore;
  let runner: DeliveryRunner;

  before(async () => {
    h = await startHarness({ startRole: false });
    rx = await startWebhookReceiver({ fallback: 503 });
    agents = createOutboundAgents({ allowPrivate: true });
    subs = createSubscriptionStore({ redis: h.redis, keys: h.keys, allowPrivate: true, secretOverlapHours: 24, disableAfterHours: 120, clock });
    deliveries = createDeliveryStore({ redis: h.redis, keys: h.keys, retentionDays: 7, clock });
    runner = createDeliveryRunner({ webhook: { ...h.config.webhook, allowPrivate: true }, deliveries, subscriptions: subs, agents, logger: silentLogger(), clock });
  });
  after(async () => {
    agents.destroy();
    await h.close();
    await rx.close();
  });

  /** One new event's delivery to the subscription, attempted now (on the manual clock). */
  const failOnce = async (subscriptionId: string): Promise<string> => {
    const eventId = `evt_${randomUUID()}`;
    const { delivery } = await deliveries.create({
      id: `${eventId}.${subscriptionId}`,
      event_id: eventId,
      event_type: 'attachment.succeeded',
      target: 'subscription',
      subscription_id: subscriptionId,
      url: rx.url,
      payload: '{}',
    });
    const outcome = await runner.attempt(delivery.id);
    return outcome.kind === 'done' ? outcome.status : outcome.kind;
  };

  it('the longest gap of one run: the longest retry wait (a 24 h Retry-After with the default schedule) plus margins', () => {
    const gap = runGapMs(parseDurationList('5s,5m,30m,2h,5h,10h,10h'), 15_000);
    assert.equal(gap, 24 * HOUR + 15_000 + HOUR);
    assert.equal(runGapMs(parseDurationList('48h'), 1000), Math.ceil(48 * HOUR * 1.15 + 1000 + HOUR));
  });

  it('a failure 121 h after a lone earlier one starts a new run instead of disabling', async () => {
    const sub = await subs.create({ url: rx.url });
    const t0 = clock.now();
    assert.equal(await failOnce(sub.id), 'retry');
    assert.equal((await subs.get(sub.id))?.failing_since, new Date(t0).toISOString());

    clock.advance(121 * HOUR);
    assert.equal(await failOnce(sub.id), 'retry', 'not disabled: nothing failed in between');
    const view = await subs.get(sub.id);
    assert.equal(view?.enabled, true);
    assert.equal(view?.failing_since, new Date(clock.now()).toISOString(), 'a new run starts now');
  });

  it('failures every 10 h for 120 h disable it', async () => {
    const sub = await subs.create({ url: rx.url });
    const t0 = clock.now();
    for (let h10 = 0; h10 < 12; h10++) {
      assert.equal(await failOnce(sub.id), 'retry', `at ${h10 * 10} h`);
      clock.advance(10 * HOUR);
    }
    assert.equal(await failOnce(sub.id), 'dead', 'at 120 h the run is long enough: the delivery goes dead');
    const view = await subs.get(sub.id);
    assert.equal(view?.enabled, false);
    assert.equal(view?.failing_since, new Date(t0).toISOString());
    assert.match(view?.disabled_reason ?? '', /failing continuously/);
  });

  it('a success ends the run', async () => {
    const sub = await subs.create({ url: rx.url });
    assert.equal(await failOnce(sub.id), 'retry');
    rx.script([200]);
    clock.advance(HOUR);
    assert.equal(await failOnce(sub.id), 'delivered');
    assert.equal((await subs.get(sub.id))?.failing_since, undefined);
  });
});
