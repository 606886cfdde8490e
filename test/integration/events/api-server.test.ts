/**
 * The webhook and events routes inside the real API server (src/api/server.ts: its auth hook, validator
 * compiler and error handler), wired to the events role's stores as the app does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { createApiServer, type ApiServer } from '../../../src/api/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { requestJson } from '../../helpers/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { attachmentEvent, startHarness, type DeliveryView, type Harness } from './harness.js';

const KEY = 'test-key';

describe('events routes in the API server', () => {
  let h: Harness;
  let server: ApiServer;
  let url: string;
  let rx: WebhookReceiver;

  before(async () => {
    h = await startHarness();
    server = await createApiServer(h.config, {
      logger: silentLogger(),
      webhooks: { subscriptions: h.role.subscriptions, deliveries: h.role.deliveries, enqueue: h.role.queue.enqueue },
    });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
    rx = await startWebhookReceiver({ responses: [500, 200] });
  });
  after(async () => {
    await server.close();
    await h.close();
    await rx.close();
  });

  const call = <T>(method: string, path: string, body?: unknown, key: string | null = KEY) => requestJson<T>(url, method, path, { body, bearer: key });
  type Err = { error: { code: string; message: string; details: Record<string, unknown> } };

  it('requires the API key', async () => {
    for (const [m, p] of [
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks'],
      ['GET', '/v1/events'],
      ['POST', '/v1/webhooks/deliveries/x/replay'],
    ] as const) {
      const res = await call<Err>(m, p, m === 'POST' ? {} : undefined, null);
      assert.equal(res.status, 401, `${m} ${p}`);
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
    }
  });

  it('validates bodies and query strings with the server validator, rendering the one error shape', async () => {
    const noUrl = await call<Err>('POST', '/v1/webhooks', { events: [] });
    assert.equal(noUrl.status, 400);
    assert.ok(noUrl.body.error.code.length > 0);
    const badType = await call<Err>('POST', '/v1/webhooks', { url: rx.url, events: ['attachment.exploded'] });
    assert.equal(badType.status, 400);
    const extra = await call<Err>('POST', '/v1/webhooks', { url: rx.url, secret: 'mine' });
    assert.equal(extra.status, 400);
    const ftp = await call<Err>('POST', '/v1/webhooks', { url: 'ftp://example.com/' });
    assert.equal(ftp.status, 400);
    assert.equal(ftp.body.error.code, 'WEBHOOK_URL_INVALID');
    const cursor = await call<Err>('GET', '/v1/events?after=abc');
    assert.equal(cursor.status, 400);
    const status = await call<Err>('GET', '/v1/webhooks/wh_x/deliveries?status=lost');
    assert.equal(status.status, 400);
    assert.deepEqual((await call<{ webhooks: unknown[] }>('GET', '/v1/webhooks')).body.webhooks, [], 'nothing was created');
  });

  it('creates, lists, delivers (attempts visible with a status filter), replays, deletes', async () => {
    const created = await call<{ id: string; secret: string; enabled: boolean; events: string[]; description: string }>('POST', '/v1/webhooks', {
      url: rx.url,
      events: ['attachment.succeeded'],
      description: 'through the server',
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.enabled, true);
    assert.deepEqual(created.body.events, ['attachment.succeeded']);
    const id = created.body.id;

    const list = await call<{ webhooks: Array<Record<string, unknown>> }>('GET', '/v1/webhooks');
    assert.equal(list.body.webhooks.length, 1);
    assert.equal(list.body.webhooks[0]!.secrets, undefined);
    assert.equal(list.body.webhooks[0]!.secret, undefined);

    const e = attachmentEvent();
    await h.addEvent(e);
    const reqs = await rx.waitForRequests(2);
    assert.deepEqual(new Webhook(created.body.secret).verify(reqs[1]!.body, reqs[1]!.headers as Record<string, string>), e);

    const delivered = await waitUntil(async () => {
      const res = await call<{ deliveries: DeliveryView[]; next_cursor: string | null }>('GET', `/v1/webhooks/${id}/deliveries?status=delivered&limit=5`);
      assert.equal(res.status, 200);
      return res.body.deliveries[0];
    }, { timeoutMs: 10_000, what: 'the delivered delivery' });
    assert.deepEqual(
      delivered.attempts.map((a) => a.status_code),
      [500, 200],
    );
    const none = await call<{ deliveries: DeliveryView[] }>('GET', `/v1/webhooks/${id}/deliveries?status=dead`);
    assert.deepEqual(none.body.deliveries, []);

    const replay = await call<{ series: number }>('POST', `/v1/webhooks/deliveries/${delivered.id}/replay`);
    assert.equal(replay.status, 202);
    await rx.waitForRequests(3);
    assert.equal(rx.requests[2]!.headers['webhook-id'], e.id);

    const events = await call<{ events: Array<{ id: string }>; next_cursor: string }>('GET', '/v1/events?limit=10');
    assert.deepEqual(
      events.body.events.map((x) => x.id),
      [e.id],
    );

    assert.equal((await call('DELETE', `/v1/webhooks/${id}`)).status, 204);
    const gone = await call<Err>('GET', `/v1/webhooks/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'WEBHOOK_NOT_FOUND');
    assert.equal((await call<Err>('DELETE', `/v1/webhooks/${id}`)).status, 404);
    assert.equal((await call<Err>('GET', `/v1/webhooks/${id}/deliveries`)).status, 404);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/docs/json');
    assert.equal(doc.status, 200);
    for (const [path, method] of [
      ['/v1/webhooks', 'post'],
      ['/v1/webhooks/{id}/rotate-secret', 'post'],
      ['/v1/webhooks/{id}/enable', 'post'],
      ['/v1/webhooks/{id}/deliveries', 'get'],
      ['/v1/webhooks/deliveries/{delivery_id}/replay', 'post'],
      ['/v1/webhooks/dead-letters', 'get'],
      ['/v1/events', 'get'],
    ] as const) {
      assert.ok(doc.body.paths[path]?.[method], `${method.toUpperCase()} ${path} documented`);
    }
  });
});
