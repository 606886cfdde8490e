/**
 * Redis unreachable: POST answers 503 REDIS_UNAVAILABLE within a few seconds (the producer's connection fails
 * fast), /readyz says 503, /healthz stays 200; when Redis is back the API accepts again with no restart. Runs
 * against a private redis-server the test stops and starts, and against a port nothing listens on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer, type ApiServer } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { freePort, freshPrefix, startPrivateRedis, type PrivateRedis } from '../../helpers/redis.js';
import { SERVER_ID, TEST_KEY } from './harness.js';

const FEW_SECONDS_MS = 5_000;

async function post(url: string, path: string, body: unknown): Promise<{ status: number; code?: string; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ms: Date.now() - t0, ...(json.error ? { code: json.error.code } : {}) };
}

async function get(url: string, path: string): Promise<number> {
  const res = await fetch(`${url}${path}`);
  await res.arrayBuffer();
  return res.status;
}

describe('API with Redis down', () => {
  let redis: PrivateRedis;
  let api: ApiServer;
  let url: string;

  before(async () => {
    redis = await startPrivateRedis({ appendonly: false });
    const config = loadConfig({ env: { APP_ENV: 'test' }, overrides: { redis: { url: redis.url, prefix: freshPrefix('down') } } });
    api = await createApiServer(config, { logger: silentLogger() });
    url = await api.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await api?.close();
    await redis?.dispose();
  });

  it('accepts while Redis is up', async () => {
    await waitUntil(async () => ((await get(url, '/readyz')) === 200 ? true : undefined), { timeoutMs: 5_000, what: 'readiness' });
    const res = await post(url, '/v1/attachments', { server_id: SERVER_ID });
    assert.equal(res.status, 202);
  });

  it('answers 503 REDIS_UNAVAILABLE within a few seconds once Redis stops; /healthz 200, /readyz 503', async () => {
    await redis.stop();
    for (const path of ['/v1/attachments', '/v1/batches']) {
      const body = path === '/v1/batches' ? { items: [{ server_id: SERVER_ID }] } : { server_id: SERVER_ID };
      const res = await post(url, path, body);
      assert.equal(res.status, 503, path);
      assert.equal(res.code, 'REDIS_UNAVAILABLE');
      assert.ok(res.ms < FEW_SECONDS_MS, `${path} answered in ${res.ms} ms`);
    }
    const read = await fetch(`${url}/v1/attachments`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    assert.equal(read.status, 503);
    await read.arrayBuffer();
    assert.equal(await get(url, '/healthz'), 200);
    const t0 = Date.now();
    assert.equal(await get(url, '/readyz'), 503);
    assert.ok(Date.now() - t0 < FEW_SECONDS_MS);
  });

  it('accepts again when Redis is back, without a restart', async () => {
    await redis.start();
    await waitUntil(async () => ((await get(url, '/readyz')) === 200 ? true : undefined), { timeoutMs: 10_000, intervalMs: 100, what: 'readiness after restart' });
    const res = await post(url, '/v1/attachments', { server_id: SERVER_ID });
    assert.equal(res.status, 202);
  });
});

describe('API pointed at a port nothing listens on', () => {
  let api: ApiServer;
  let url: string;

  before(async () => {
    const port = await freePort();
    const config = loadConfig({ env: { APP_ENV: 'test' }, overrides: { redis: { url: `redis://127.0.0.1:${port}`, prefix: freshPrefix('closed') } } });
    api = await createApiServer(config, { logger: silentLogger() });
    url = await api.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await api?.close();
  });

  it('starts, answers POST with 503 within a few seconds, and is live but not ready', async () => {
    const res = await post(url, '/v1/attachments', { server_id: SERVER_ID });
    assert.equal(res.status, 503);
    assert.equal(res.code, 'REDIS_UNAVAILABLE');
    assert.ok(res.ms < FEW_SECONDS_MS, `answered in ${res.ms} ms`);
    assert.equal(await get(url, '/healthz'), 200);
    assert.equal(await get(url, '/readyz'), 503);
  });
});
