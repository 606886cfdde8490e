/**
 * Outbound safety: URLs refused at creation (400 with a clear code) and at connect time by the agents'
 * lookup (DNS rebinding), with WEBHOOK_ALLOW_PRIVATE off.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type dns from 'node:dns';
import fetch from 'node-fetch';
import { createOutboundAgents } from '../../../src/events/outbound-guard.js';
import { createDeliveryRunner } from '../../../src/events/delivery.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { startHarness, type Harness } from './harness.js';

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** A dns.lookup that answers `address` for every name (a rebinding DNS server). */
function fakeLookup(address: string): typeof dns.lookup {
  return ((_host: string, _opts: unknown, cb: (err: Error | null, addrs: dns.LookupAddress[]) => void) => {
    cb(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
  }) as unknown as typeof dns.lookup;
}

describe('outbound guard (WEBHOOK_ALLOW_PRIVATE off)', () => {
  let h: Harness;
  let rx: WebhookReceiver;
  before(async () => {
    h = await startHarness({ webhook: { allowPrivate: false }, startRole: false });
    rx = await startWebhookReceiver();
  });
  after(async () => {
    await h.close();
    await rx.close();
  });

  const create = (url: string): Promise<{ status: number; body: ErrorBody }> => h.api<ErrorBody>('POST', '/v1/webhooks', { url });

  it('refuses private, loopback, link-local and metadata URLs at creation with WEBHOOK_URL_FORBIDDEN', async () => {
    for (const url of [rx.url, 'http://localhost:8080/hook', 'http://10.1.2.3/', 'http://[::1]:9000/', 'http://169.254.169.254/latest/meta-data', 'https://192.168.0.10/x', 'http://[::ffff:127.0.0.1]/']) {
      const res = await create(url);
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.code, 'WEBHOOK_URL_FORBIDDEN', url);
      assert.ok(res.body.error.details.address_class, url);
    }
    const list = await h.api<{ webhooks: unknown[] }>('GET', '/v1/webhooks');
    assert.deepEqual(list.body.webhooks, [], 'nothing was stored');
  });

  it('refuses other schemes, credentials and unknown event types with clear codes', async () => {
    assert.equal((await create('ftp://example.com/x')).body.error.code, 'WEBHOOK_URL_INVALID');
    assert.equal((await create('not a url')).body.error.code, 'WEBHOOK_URL_INVALID');
    assert.equal((await create('https://user:pw@example.com/x')).body.error.code, 'WEBHOOK_URL_INVALID');
    assert.equal((await create('https://no-such-host.invalid/x')).body.error.code, 'WEBHOOK_URL_UNRESOLVABLE');
    const badType = await h.api<ErrorBody>('POST', '/v1/webhooks', { url: 'https://example.com/x', events: ['attachment.exploded'] });
    assert.equal(badType.status, 400);
  });

  it('refuses at connect time when the name resolves to a private address (DNS rebinding)', async () => {
    const guarded = createOutboundAgents({ allowPrivate: false, lookup: fakeLookup('127.0.0.1') });
    const url = new URL(`http://public.example.com:${rx.port}/hook`);
    await assert.rejects(fetch(url.toString(), { method: 'POST', body: '{}', agent: guarded.agentFor(url) }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'WEBHOOK_URL_FORBIDDEN');
      return true;
    });
    guarded.destroy();
    assert.equal(rx.requests.length, 0, 'no connection reached the receiver');

    // The same agent setup with private addresses allowed connects through that lookup: it is the one used.
    const open = createOutboundAgents({ allowPrivate: true, lookup: fakeLookup('127.0.0.1') });
    const res = await fetch(url.toString(), { method: 'POST', body: '{}', agent: open.agentFor(url) });
    assert.equal(res.status, 200);
    await res.text();
    open.destroy();
    assert.equal(rx.requests.length, 1);
  });

  it('a delivery whose host now resolves to a private address fails its attempt (and retries), reaching nothing', async () => {
    // The name passes the pre-flight resolution (public), then the connection-time lookup answers 10.0.0.7.
    const rebinder = createOutboundAgents({ allowPrivate: false, lookup: fakeLookup('10.0.0.7') });
    const runner = createDeliveryRunner({
      webhook: { ...h.config.webhook, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      deliveries: h.role.deliveries,
      subscriptions: h.role.subscriptions,
      agents: rebinder,
      logger: silentLogger(),
      resolve: async () => [{ address: '93.184.216.34', family: 4 }],
    });
    const { delivery } = await h.role.deliveries.create({
      id: 'evt_11111111-1111-1111-1111-111111111111.cb',
      event_id: 'evt_11111111-1111-1111-1111-111111111111',
      event_type: 'attachment.succeeded',
      target: 'callback',
      url: `http://rebind.example.com:${rx.port}/hook`,
      payload: '{}',
    });
    const before = rx.requests.length;
    const outcome = await runner.attempt(delivery.id);
    assert.equal(outcome.kind, 'retry');
    const after = await h.role.deliveries.get(delivery.id);
    assert.equal(after?.status, 'pending');
    assert.equal(after?.attempts.length, 1);
    assert.match(after?.attempts[0]?.error ?? '', /WEBHOOK_URL_FORBIDDEN/);
    assert.equal(rx.requests.length, before, 'nothing reached the receiver');
    rebinder.destroy();
  });
});
