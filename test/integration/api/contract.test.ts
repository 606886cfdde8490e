/**
 * The HTTP contract of design.md §4 over real HTTP, with the workflow workers and the emulator behind it:
 * status codes, shapes, headers, listing order and cursors, batches, events, the open routes and the OpenAPI
 * document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { startHarness, type Harness } from './harness.js';

type Page = { items: AttachmentRecord[]; next_cursor?: string };

describe('API contract', () => {
  let h: Harness;
  let serverA: string;
  let serverB: string;

  before(async () => {
    h = await startHarness({ workers: true });
    serverA = (await h.emulator.control.createServer({ name: 'contract-a' })).id;
    serverB = (await h.emulator.control.createServer({ name: 'contract-b' })).id;
  });
  after(async () => {
    await h?.stop();
  });

  const waitForStatus = (id: string, statuses: string[]): Promise<AttachmentRecord> =>
    waitUntil(
      async () => {
        const res = await h.call<AttachmentRecord>('GET', `/v1/attachments/${id}`);
        return statuses.includes(res.body.status) ? res.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `${id} to reach ${statuses.join('/')}` },
    );

  it('POST /v1/attachments → 202 with the queued record and its location; it then succeeds', async () => {
    const res = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: serverA, metadata: { ticket: 'NET-1' } } });
    assert.equal(res.status, 202, res.text);
    assert.match(res.body.id, /^att_[0-9a-f-]{36}$/);
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.stage, 'network');
    assert.equal(res.body.server_id, serverA);
    assert.deepEqual(res.body.metadata, { ticket: 'NET-1' });
    assert.equal(res.headers.get('location'), `/v1/attachments/${res.body.id}`);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);

    const done = await waitForStatus(res.body.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.ok(done.nic_id && done.port_id && done.ip_address, 'the record carries what was attached');
    assert.ok((await h.cloudCalls()) > 0, 'the workers called the emulator');
  });

  it('GET /v1/attachments/{id} → 404 ATTACHMENT_NOT_FOUND for an unknown id', async () => {
    const res = await h.call<{ error: { code: string } }>('GET', '/v1/attachments/att_00000000-0000-4000-8000-000000000000');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'ATTACHMENT_NOT_FOUND');
  });

  it('GET /v1/attachments lists newest first, filters by server and status, and pages with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await h.call<AttachmentRecord>('POST', '/v1/attachments', { body: { server_id: serverB } });
      assert.equal(res.status, 202);
      ids.push(res.body.id);
    }
    await Promise.all(ids.map((id) => waitForStatus(id, ['succeeded', 'failed'])));

    const all = await h.call<Page>('GET', `/v1/attachments?server_id=${serverB}&limit=100`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((r) => r.id), [...ids].reverse(), 'newest first');
    assert.ok(all.body.items.every((r) => r.server_id === serverB));
    assert.equal(all.body.next_cursor, undefined);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await h.call<Page>('GET', `/v1/attachments?server_id=${serverB}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.items.length <= 2);
      seen.push(...res.body.items.map((r) => r.id));
      cursor = res.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, [...ids].reverse(), 'pages cover every item once, in order');
    assert.equal(pages, 3);

    const succeeded = await h.call<Page>('GET', `/v1/attachments?status=succeeded&server_id=${serverB}`);
    assert.equal(succeeded.body.items.length, 5);
    const queued = await h.call<Page>('GET', `/v1/attachments?status=queued&server_id=${serverB}`);
    assert.equal(queued.body.items.length, 0);

    const badCursor = await h.call<{ error: { code: string } }>('GET', '/v1/attachments?cursor=not-a-cursor');
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.error.code, 'INVALID_CURSOR');
  });

  it('POST /v1/batches → 202 {id, total, attachment_ids}; GET /v1/batches/{id} counts and items until done', async () => {
    const items = [{ server_id: serverA }, { server_id: serverB }, { server_id: serverA, metadata: { n: 3 } }];
    const res = await h.call<{ id: string; total: number; attachment_ids: string[] }>('POST', '/v1/batches', { body: { items, metadata: { run: 'contract' } } });
    assert.equal(res.status, 202, res.text);
    assert.match(res.body.id, /^bat_[0-9a-f-]{36}$/);
    assert.equal(res.body.total, 3);
    assert.equal(res.body.attachment_ids.length, 3);
    assert.equal(new Set(res.body.attachment_ids).size, 3);
    assert.deepEqual(Object.keys(res.body).sort(), ['attachment_ids', 'id', 'total']);

    type BatchBody = { id: string; total: number; done: boolean; counts: Record<string, number>; items: Array<{ id: string; status: string; server_id: string }>; metadata?: unknown };
    const view = await waitUntil(
      async () => {
        const r = await h.call<BatchBody>('GET', `/v1/batches/${res.body.id}`);
        assert.equal(r.status, 200, r.text);
        return r.body.done ? r.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the batch to end' },
    );
    assert.equal(view.total, 3);
    assert.equal(view.counts.succeeded, 3);
    assert.deepEqual(view.items.map((i) => i.id), res.body.attachment_ids, 'items in request order');
    assert.deepEqual(view.items.map((i) => i.server_id), items.map((i) => i.server_id));
    assert.deepEqual(view.metadata, { run: 'contract' });

    const byBatch = await h.call<Page>('GET', `/v1/attachments?batch_id=${res.body.id}`);
    assert.equal(byBatch.body.items.length, 3);
    assert.ok(byBatch.body.items.every((r) => r.batch_id === res.body.id));

    const missing = await h.call<{ error: { code: string } }>('GET', '/v1/batches/bat_00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'BATCH_NOT_FOUND');
  });

  it('GET /v1/events returns the completion events with a cursor', async () => {
    const page = await h.call<{ events: Array<{ type: string; data: { id?: string } }>; next_cursor: string | null }>('GET', '/v1/events?limit=1000');
    assert.equal(page.status, 200);
    const types = new Set(page.body.events.map((e) => e.type));
    assert.ok(types.has('attachment.succeeded'));
    assert.ok(types.has('batch.completed'));
    assert.ok(page.body.next_cursor);
    const next = await h.call<{ events: unknown[] }>('GET', `/v1/events?after=${page.body.next_cursor}`);
    assert.deepEqual(next.body.events, []);
  });

  it('needs a key everywhere except /healthz, /readyz, /metrics and /docs', async () => {
    for (const [method, path] of [
      ['GET', '/v1/attachments'],
      ['GET', '/v1/attachments/att_00000000-0000-4000-8000-000000000000'],
      ['POST', '/v1/batches'],
      ['GET', '/v1/events'],
      ['GET', '/v1/webhooks'],
    ] as const) {
      const res = await h.call<{ error: { code: string } }>(method, path, { key: null });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const wrongScheme = await h.call('GET', '/v1/attachments', { key: null, headers: { authorization: 'Basic dGVzdC1rZXk6' } });
    assert.equal(wrongScheme.status, 401);

    const health = await h.call<{ status: string }>('GET', '/healthz', { key: null });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await h.call<{ status: string; checks: Record<string, { ok: boolean }> }>('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.redis?.ok, true);
    const metrics = await h.call('GET', '/metrics', { key: null });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /nic_attach_http_requests_total\{method="POST",route="\/v1\/attachments",status="202"\}/);
    assert.match(metrics.text, /nic_attach_attachments_accepted_total \d+/);
    const docs = await h.call('GET', '/docs', { key: null });
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger/i);
  });

  it('serves the OpenAPI document with every route and the request schemas', async () => {
    const res = await h.call<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>> }>(
      'GET',
      '/docs/json',
      { key: null },
    );
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\./);
    for (const path of ['/v1/attachments', '/v1/attachments/{id}', '/v1/attachments/{id}/cancel', '/v1/batches', '/v1/batches/{id}', '/v1/events', '/v1/webhooks', '/healthz', '/readyz']) {
      assert.ok(res.body.paths[path], `documents ${path}`);
    }
    const body = res.body.paths['/v1/attachments']?.post?.requestBody?.content['application/json']?.schema;
    assert.ok(body, 'POST /v1/attachments documents its body');
    assert.equal(body.additionalProperties, false);
    assert.deepEqual(body.required, ['server_id']);
    assert.ok((body.properties as Record<string, unknown>).subnet);
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await h.call<{ error: { code: string; message: string; details: unknown } }>('GET', '/v2/nothing');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
    assert.deepEqual(res.body.error.details, {});
  });
});
