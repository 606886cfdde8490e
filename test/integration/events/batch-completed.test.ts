/**
 * batch.completed exactly once, with the real record store: the items of a batch end at the same moment
 * through different Redis connections (as different workers would), the stream gets one batch.completed, and
 * it is delivered once to a subscription and once to the batch's callback_url.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { waitUntil } from '../../../src/lib/wait.js';
import { generateSecret } from '../../../src/events/signing.js';
import { readEvents } from '../../../src/events/stream.js';
import { createAttachmentStore, type TerminalStatus } from '../../../src/workflow/record-store.js';
import type { AttachmentRecord, BatchSummary } from '../../../src/workflow/types.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { startHarness, type DeliveryView, type Harness } from './harness.js';

const CALLBACK_SECRET = generateSecret();
const ITEMS = 8;

describe('batch.completed', () => {
  let h: Harness;
  let subRx: WebhookReceiver;
  let cbRx: WebhookReceiver;
  const conns: Redis[] = [];

  before(async () => {
    h = await startHarness({ webhook: { secret: CALLBACK_SECRET } });
    subRx = await startWebhookReceiver();
    cbRx = await startWebhookReceiver();
  });
  after(async () => {
    await h.close();
    await subRx.close();
    await cbRx.close();
    for (const c of conns) await c.quit();
  });

  it('is appended exactly once when the items end concurrently on different connections, and delivered once', async () => {
    const sub = await h.api<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: subRx.url, events: ['batch.completed'] });
    assert.equal(sub.status, 201);

    const settings = { streamMaxLen: h.config.events.streamMaxLen, recordRetentionDays: 1, stageCompletedEvents: false };
    const stores = Array.from({ length: ITEMS }, () => {
      const redis = new Redis(h.config.redis.url, { maxRetriesPerRequest: null });
      conns.push(redis);
      return createAttachmentStore(settings, { redis, keys: h.keys });
    });
    const batchId = `bat_${randomUUID()}`;
    const now = new Date().toISOString();
    const records: AttachmentRecord[] = Array.from({ length: ITEMS }, (_, i) => ({
      id: `att_${randomUUID()}`,
      status: 'running',
      stage: 'poll',
      server_id: randomUUID(),
      request: { server_id: 'srv' },
      batch_id: batchId,
      created_at: now,
      updated_at: now,
      stages: {},
      metadata: { item: i },
    }));
    await stores[0]!.createMany(records, { id: batchId, created_at: now, callback_url: cbRx.url });

    // All items end at once: one finish() per connection, started together.
    const statuses: TerminalStatus[] = records.map((_, i) => (i % 3 === 0 ? 'failed' : 'succeeded'));
    await Promise.all(stores.map((s, i) => s.finish(records[i]!.id, { status: statuses[i]! })));

    const { events } = await readEvents(h.redis, h.keys, { limit: 1000 });
    const batchEvents = events.filter((e) => e.type === 'batch.completed');
    assert.equal(batchEvents.length, 1, 'exactly one batch.completed');
    assert.equal(events.filter((e) => e.type.startsWith('attachment.')).length, ITEMS);
    const summary = batchEvents[0]!.data as BatchSummary;
    assert.equal(summary.id, batchId);
    assert.equal(summary.total, ITEMS);
    assert.equal(events[events.length - 1]!.type, 'batch.completed', 'it comes after every item');

    // Delivered once to the subscription and once to the batch callback_url (the event as appended: without the
    // stream cursor readEvents adds).
    const { cursor: _cursor, ...batchEvent } = batchEvents[0]!;
    const [toSub] = await subRx.waitForRequests(1);
    assert.equal(toSub!.headers['webhook-id'], batchEvents[0]!.id);
    assert.deepEqual(new Webhook(sub.body.secret).verify(toSub!.body, toSub!.headers as Record<string, string>), batchEvent);
    const [toCb] = await cbRx.waitForRequests(1);
    assert.deepEqual(new Webhook(CALLBACK_SECRET).verify(toCb!.body, toCb!.headers as Record<string, string>), batchEvent);

    // Wait until the dispatcher has acknowledged every entry and nothing is pending, then count again.
    const lastId = (await h.redis.xrevrange(h.keys.events(), '+', '-', 'COUNT', 1))[0]![0];
    await waitUntil(
      async () => {
        const groups = (await h.redis.xinfo('GROUPS', h.keys.events())) as unknown[][];
        const g = groups[0]!;
        const info: Record<string, unknown> = {};
        for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
        return info['last-delivered-id'] === lastId && info.pending === 0 ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'the dispatcher to acknowledge every event' },
    );
    const deliveries = (await h.api<{ deliveries: DeliveryView[] }>('GET', `/v1/webhooks/${sub.body.id}/deliveries`)).body.deliveries;
    assert.equal(deliveries.length, 1);
    await waitUntil(async () => ((await h.role.deliveries.get(`${batchEvents[0]!.id}.cb`))?.status === 'delivered' ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the callback delivery',
    });
    assert.equal(subRx.requests.length, 1);
    // The items carry no callback_url of their own: only batch.completed goes to the batch's.
    assert.equal(cbRx.requests.length, 1);
  });
});
