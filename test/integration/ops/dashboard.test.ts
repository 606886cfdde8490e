/**
 * The queue dashboard (bull-board) at /admin/queues, inside the real API server: closed without a key (JSON 401
 * for scripts, a redirect to the sign-in form for browsers), open with `Authorization: Bearer <key>` or with the
 * HttpOnly, SameSite=Strict cookie that signing in sets; a wrong key is refused everywhere; it shows every queue
 * of the service with its real job counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../../../src/lib/wait.js';
import { startOpsApp, TEST_KEY, type OpsApp } from './harness.js';

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
}

describe('queue dashboard at /admin/queues', () => {
  let ops: OpsApp;
  before(async () => {
    ops = await startOpsApp();
  });
  after(async () => {
    await ops?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${ops.url ?? ''}${path}`, { headers, redirect: 'manual' });

  it('refuses requests without a key: 401 in the API error shape, or a redirect to the sign-in form for a browser', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/queue/network']) {
      const res = await get(path);
      assert.equal(res.status, 401, path);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'UNAUTHORIZED');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
    const browser = await get('/admin/queues', { accept: 'text/html,application/xhtml+xml' });
    assert.equal(browser.status, 303);
    assert.equal(browser.headers.get('location'), '/admin/login');
    const form = await get('/admin/login');
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form method="post" action="\/admin\/login">/);
  });

  it('refuses a wrong key in the header, in the cookie and at sign-in', async () => {
    assert.equal((await get('/admin/queues/api/queues', { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await get('/admin/queues/api/queues', { cookie: 'nic_attach_key=nope' })).status, 401);
    const res = await fetch(`${ops.url ?? ''}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=nope', redirect: 'manual' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('opens with the bearer key, and lists every queue of the service with its job counts', async () => {
    const page = await get('/admin/queues', { authorization: `Bearer ${TEST_KEY}` });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const server = ops.control!.createServer({ name: 'board' });
    const accepted = await ops.call<{ id: string }>('POST', '/v1/attachments', { body: { server_id: server.id } });
    assert.equal(accepted.status, 202, accepted.text);
    await waitUntil(async () => ((await ops.call<{ status: string }>('GET', `/v1/attachments/${accepted.body.id}`)).body.status === 'succeeded' ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the attachment to succeed',
    });
    const res = await get('/admin/queues/api/queues', { authorization: `Bearer ${TEST_KEY}` });
    assert.equal(res.status, 200);
    const { queues } = (await res.json()) as { queues: BoardQueue[] };
    assert.deepEqual(queues.map((q) => q.name).sort(), ['attach', 'cleanup', 'network', 'poll', 'port', 'subnet', 'webhook']);
    for (const stage of ['network', 'subnet', 'port', 'attach', 'poll']) {
      assert.ok((queues.find((q) => q.name === stage)?.counts.completed ?? 0) >= 1, `${stage} shows a completed job`);
    }
  });

  it('signs a browser in with a cookie (HttpOnly, SameSite=Strict, Path=/admin) that opens the dashboard, and signs it out', async () => {
    const res = await fetch(`${ops.url ?? ''}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `key=${TEST_KEY}`, redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/admin/queues');
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^nic_attach_key=test-key;/);
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/admin', 'Max-Age=43200']) assert.ok(cookie.includes(attr), attr);
    const pair = cookie.split(';')[0] ?? '';
    assert.equal((await get('/admin/queues', { cookie: pair, accept: 'text/html' })).status, 200);
    assert.equal((await get('/admin/queues/api/queues', { cookie: pair })).status, 200);
    // The cookie opens the dashboard only, not the API.
    assert.equal((await get('/v1/attachments', { cookie: pair })).status, 401);
    const out = await get('/admin/logout', { cookie: pair });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /^nic_attach_key=;.*Max-Age=0/);
  });

  it('keeps the dashboard out of the OpenAPI document', async () => {
    const doc = await ops.call<{ paths: Record<string, unknown> }>('GET', '/docs/json', { key: null });
    assert.equal(doc.status, 200);
    assert.deepEqual(Object.keys(doc.body.paths).filter((p) => p.startsWith('/admin')), []);
  });
});
