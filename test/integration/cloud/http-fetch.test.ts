/**
 * The transport's own HTTP client (src/cloud/http-fetch.ts) against a local server: what goes on the wire
 * (method, headers, Content-Length, Accept-Encoding), compressed answers, a redirect handed back as it is,
 * repeated headers, an abort, a cut connection and a refused one (Node's error code kept for classify.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { httpFetch } from '../../../src/cloud/http-fetch.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

describe('httpFetch', () => {
  let srv: http.Server;
  let base: string;
  let handler: Handler = (_q, _b, res) => res.end();
  const agent = new http.Agent({ keepAlive: true });

  before(async () => {
    srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  after(async () => {
    agent.destroy();
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });

  it('sends the method, the headers, the body with its Content-Length, and reads status, headers and text', async () => {
    let seen: { method?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    handler = (req, body, res) => {
      seen = { method: req.method, headers: req.headers, body: body.toString('utf8') };
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Request-Id': 'r-1' });
      res.end('{"ok":true}');
    };
    const body = Buffer.from(JSON.stringify({ port: { name: 'ü' } }), 'utf8');
    const res = await httpFetch(new URL(`${base}/v1/p/ports`), { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Sdk-Date': '20240115T083000Z' }, body, agent: () => agent });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('X-Request-Id'), 'r-1');
    assert.equal(res.headers.get('x-missing'), null);
    assert.equal(await res.text(), '{"ok":true}');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body, '{"port":{"name":"ü"}}');
    assert.equal(seen.headers?.['content-length'], String(body.length));
    assert.equal(seen.headers?.['x-sdk-date'], '20240115T083000Z');
    assert.equal(seen.headers?.['accept-encoding'], 'gzip, deflate, br');
  });

  it('decodes gzip, deflate and br answers', async () => {
    const text = JSON.stringify({ ports: Array.from({ length: 50 }, (_, i) => ({ id: `p-${i}` })) });
    for (const [encoding, pack] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      handler = (_q, _b, res) => {
        res.writeHead(200, { 'Content-Encoding': encoding });
        res.end(pack(Buffer.from(text)));
      };
      const res = await httpFetch(new URL(`${base}/x`), { method: 'GET', headers: {}, agent: () => agent });
      assert.equal(await res.text(), text, encoding);
    }
  });

  it('hands a redirect back as it is, and joins a repeated header', async () => {
    let hits = 0;
    handler = (_q, _b, res) => {
      hits += 1;
      res.setHeader('Location', `${base}/elsewhere`);
      res.setHeader('X-Twice', ['a', 'b']);
      res.writeHead(302);
      res.end();
    };
    const res = await httpFetch(new URL(`${base}/x`), { method: 'GET', headers: {}, agent: () => agent, redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${base}/elsewhere`);
    assert.equal(res.headers.get('x-twice'), 'a, b');
    assert.equal(hits, 1, 'not followed');
  });

  it('rejects on an abort, while waiting for the answer or when aborted already', async () => {
    handler = () => undefined; // never answers
    const ac = new AbortController();
    const p = httpFetch(new URL(`${base}/hang`), { method: 'GET', headers: {}, agent: () => agent, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    await assert.rejects(httpFetch(new URL(`${base}/x`), { method: 'GET', headers: {}, signal: AbortSignal.abort() }), (e: Error) => e.name === 'AbortError');
  });

  it('rejects with ECONNRESET when the connection is cut mid-answer, and keeps ECONNREFUSED', async () => {
    handler = (_q, _b, res) => {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 10);
    };
    await assert.rejects(httpFetch(new URL(`${base}/cut`), { method: 'GET', headers: {}, agent: () => agent }), (e: Error & { code?: string }) => e.code === 'ECONNRESET');
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await assert.rejects(httpFetch(new URL(`http://127.0.0.1:${port}/x`), { method: 'POST', headers: {}, body: Buffer.from('{}') }), (e: Error & { code?: string }) => e.code === 'ECONNREFUSED');
  });
});
