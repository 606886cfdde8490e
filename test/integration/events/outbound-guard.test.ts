/**
 * Outbound safety: URLs refused at creation (400 with a clear code) and at connect time by the agents'
 * lookup (DNS rebinding), with WEBHOOK_ALLOW_PRIVATE off; at delivery, a refused IP literal is a permanent
 * failure, and the DNS check obeys the attempt's timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type dns from 'node:dns';
import fetch from 'node-fetch';
import { randomUUID } from 'node:crypto';
import { createOutboundAgents, type OutboundAgents, type Resolver } from '../../../src/events/outbound-guard.js';
import { createDeliveryRunner, type DeliveryRunner } from '../../../src/events/delivery.js';
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

  /** A callback delivery to `url`, and a runner with the given webhook settings and resolver. */
  const callbackCase = async (url: string, opts: { timeoutMs?: number; resolve?: Resolver } = {}): Promise<{ runner: DeliveryRunner; id: string; agents: OutboundAgents }> => {
    const agents = createOutboundAgents({ allowPrivate: false });
    const runner = createDeliveryRunner({
      webhook: { ...h.config.webhook, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) },
      deliveries: h.role.deliveries,
      subscriptions: h.role.subscriptions,
      agents,
      logger: silentLogger(),
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    });
    const eventId = `evt_${randomUUID()}`;
    const { delivery } = await h.role.deliveries.create({ id: `${eventId}.cb`, event_id: eventId, event_type: 'attachment.succeeded', target: 'callback', url, payload: '{}' });
    return { runner, id: delivery.id, agents };
  };

  it('a refused IP address in the URL is dead-lettered at once; a name resolving to a refused address is retried', async () => {
    const reached = rx.requests.length;
    for (const url of [`http://127.0.0.1:${rx.port}/hook`, 'http://10.0.0.7/hook', 'http://[::1]:9/hook', 'http://169.254.169.254/latest']) {
      const literal = await callbackCase(url);
      const outcome = await literal.runner.attempt(literal.id);
      assert.deepEqual(outcome, { kind: 'done', status: 'dead' }, url);
      const dead = await h.role.deliveries.get(literal.id);
      assert.equal(dead?.status, 'dead', url);
      assert.equal(dead?.attempts.length, 1);
      assert.match(dead?.last_error ?? '', /WEBHOOK_URL_FORBIDDEN: .*not retried/, url);
      literal.agents.destroy();
    }
    const named = await callbackCase(`http://internal.example.com:${rx.port}/hook`, { resolve: async () => [{ address: '10.0.0.7', family: 4 }] });
    const outcome = await named.runner.attempt(named.id);
    assert.equal(outcome.kind, 'retry', 'DNS can change: the schedule goes on');
    assert.match((await h.role.deliveries.get(named.id))?.attempts[0]?.error ?? '', /WEBHOOK_URL_FORBIDDEN/);
    named.agents.destroy();
    assert.equal(rx.requests.length, reached, 'nothing reached the receiver');
  });

  it('the attempt timeout covers the DNS check: a resolver that never answers ends the attempt as timed out', { timeout: 10_000 }, async () => {
    const hung = await callbackCase('http://never-answers.example.com/hook', { timeoutMs: 300, resolve: () => new Promise(() => undefined) });
    const started = Date.now();
    const outcome = await hung.runner.attempt(hung.id);
    assert.equal(outcome.kind, 'retry');
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    const d = await h.role.deliveries.get(hung.id);
    assert.equal(d?.status, 'pending');
    assert.match(d?.attempts[0]?.error ?? '', /timed out after 300 ms/);
    hung.agents.destroy();
  });
});
