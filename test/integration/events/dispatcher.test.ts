/**
 * The dispatcher's crash safety: entries a dead dispatcher read but never acknowledged are taken over and
 * delivered; an event seen twice (a re-read entry, a duplicated append) is delivered once.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import { DISPATCH_GROUP } from '../../../src/events/dispatcher.js';
import { generateSecret } from '../../../src/events/signing.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { createAttachmentStore, storeSettingsFromConfig } from '../../../src/workflow/record-store.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import { attachmentEvent, startHarness, type Harness } from './harness.js';

async function groupInfo(h: Harness): Promise<Record<string, unknown>> {
  const groups = (await h.redis.xinfo('GROUPS', h.keys.events())) as unknown[][];
  const g = groups.find((x) => x[1] === DISPATCH_GROUP) ?? [];
  const info: Record<string, unknown> = {};
  for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
  return info;
}

describe('event dispatcher', () => {
  const receivers: WebhookReceiver[] = [];
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  after(async () => {
    for (const r of receivers) await r.close();
  });

  it('takes over the entries a dead dispatcher left pending and delivers them once', async () => {
    h = await startHarness({ startRole: false, claimIdleMs: 200 });
    const rx = await startWebhookReceiver();
    receivers.push(rx);
    await h.role.subscriptions.create({ url: rx.url });
    await h.role.dispatcher.ensureGroup();

    // "Dispatcher A" reads two events and dies before acknowledging them; for the second it had already
    // created the delivery (but not enqueued it).
    const e1 = attachmentEvent();
    const e2 = attachmentEvent('attachment.failed');
    await h.addEvent(e1);
    await h.addEvent(e2);
    const read = (await h.redis.xreadgroup('GROUP', DISPATCH_GROUP, 'dispatcher-a', 'COUNT', 10, 'STREAMS', h.keys.events(), '>')) as Array<[string, unknown[]]>;
    assert.equal(read[0]![1].length, 2);
    const [sub] = await h.role.subscriptions.list();
    await h.role.deliveries.create({ id: `${e2.id}.${sub!.id}`, event_id: e2.id, event_type: e2.type, target: 'subscription', subscription_id: sub!.id, url: rx.url, payload: JSON.stringify(e2) });
    assert.equal((await groupInfo(h)).pending, 2);

    // Dispatcher B starts and claims them once they have been idle for claimIdleMs.
    await h.role.start();
    const reqs = await rx.waitForRequests(2);
    assert.deepEqual(new Set(reqs.map((r) => r.headers['webhook-id'])), new Set([e1.id, e2.id]));
    await waitUntil(async () => ((await groupInfo(h!)).pending === 0 ? true : undefined), { timeoutMs: 10_000, what: 'no pending entries' });

    // One more event flows normally, and nothing was delivered twice.
    const e3 = attachmentEvent();
    await h.addEvent(e3);
    await rx.waitForRequests(3);
    await waitUntil(async () => ((await h!.role.deliveries.get(`${e3.id}.${sub!.id}`))?.status === 'delivered' ? true : undefined), { timeoutMs: 10_000, what: 'e3 delivered' });
    assert.deepEqual(
      rx.requests.map((r) => r.headers['webhook-id']).sort(),
      [e1.id, e2.id, e3.id].sort(),
    );
  });

  it('delivers events that attachments emitted before any dispatcher ever ran (the group comes with the stream)', async () => {
    h = await startHarness({ startRole: false });
    const rx = await startWebhookReceiver();
    receivers.push(rx);
    await h.role.subscriptions.create({ url: rx.url });
    // The workers (the record store's terminal script) end an attachment while no events role has started yet.
    const store = createAttachmentStore(storeSettingsFromConfig(h.config), { redis: h.redis, keys: h.keys });
    const record = newAttachmentRecord({ server_id: '6f1b2a8e-0b9f-4c43-9d43-3c7f2b1c0a11' });
    await store.create(record);
    assert.equal(await store.finish(record.id, { status: 'succeeded', fields: { nic_id: 'nic-early' } }), true);
    assert.equal((await groupInfo(h)).name, DISPATCH_GROUP, 'the group was made with the stream');

    await h.role.start();
    const [req] = await rx.waitForRequests(1);
    const event = JSON.parse(req?.body ?? '{}') as { type: string; data: { id: string } };
    assert.deepEqual([event.type, event.data.id], ['attachment.succeeded', record.id]);
  });

  it('delivers an event appended twice (same event id) once', async () => {
    h = await startHarness({ webhook: { secret: generateSecret() } });
    const rx = await startWebhookReceiver();
    receivers.push(rx);
    const witness = await startWebhookReceiver();
    receivers.push(witness);
    const sub = await h.role.subscriptions.create({ url: rx.url });
    const e = attachmentEvent();
    await h.addEvent(e);
    await h.addEvent(e);
    const marker = attachmentEvent('attachment.cancelled', { callback_url: witness.url });
    await h.addEvent(marker);
    // The marker was dispatched after both copies; once its callback arrived and the first delivery ended,
    // a second request for `e` would already have been made.
    await witness.waitForRequests(1);
    await rx.waitForRequests(2); // e, then the marker
    await waitUntil(async () => ((await h!.role.deliveries.get(`${marker.id}.${sub.id}`))?.status === 'delivered' ? true : undefined), { timeoutMs: 10_000, what: 'marker delivered' });
    assert.equal(rx.requests.filter((r) => r.headers['webhook-id'] === e.id).length, 1);
    assert.equal((await h.role.deliveries.listForSubscription(sub.id, { limit: 10 })).deliveries.length, 2);
  });

  it('says so when the stream was trimmed past events it had not delivered, and goes on with the rest', async () => {
    h = await startHarness({ startRole: false });
    const rx = await startWebhookReceiver();
    receivers.push(rx);
    await h.role.subscriptions.create({ url: rx.url });
    await h.role.dispatcher.ensureGroup();
    // One event read and acknowledged (as a dispatcher that kept up would have), then a backlog of four of which
    // the stream keeps only the last two (EVENTS_STREAM_MAXLEN overtaking a dispatcher that was down).
    const first = attachmentEvent();
    await h.addEvent(first);
    const read = (await h.redis.xreadgroup('GROUP', DISPATCH_GROUP, 'dispatcher-a', 'COUNT', 10, 'STREAMS', h.keys.events(), '>')) as Array<[string, Array<[string, unknown]>]>;
    await h.redis.xack(h.keys.events(), DISPATCH_GROUP, read[0]![1][0]![0]);
    const backlog = [attachmentEvent(), attachmentEvent(), attachmentEvent(), attachmentEvent()];
    for (const e of backlog) await h.addEvent(e);
    await h.redis.xtrim(h.keys.events(), 'MAXLEN', 2);

    await h.role.start();
    await rx.waitForRequests(2);
    assert.deepEqual(rx.requests.map((r) => r.headers['webhook-id']), [backlog[2]!.id, backlog[3]!.id]);
    const lines = h
      .logs()
      .split('\n')
      .filter((l) => l.includes('EVENTS_TRIMMED_UNDELIVERED'))
      .map((l) => JSON.parse(l) as { kind: string; count: number });
    assert.equal(lines.length, 1, 'reported once');
    assert.equal(lines[0]!.kind, 'unread');
    assert.equal(lines[0]!.count, 2);
  });

  it('stops promptly while blocked on the stream', async () => {
    h = await startHarness();
    const started = Date.now();
    await h.role.stop();
    assert.ok(Date.now() - started < 3_000, `stop took ${Date.now() - started} ms`);
    // close() stops the role again: stop is idempotent.
  });
});
