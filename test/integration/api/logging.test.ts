/**
 * API keys and Idempotency-Keys never reach the logs, whatever the request: accepted, refused for a bad key,
 * refused for bad input. The API logs through the app's pino logger (with its redaction) at debug level here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createApiServer, type ApiServer } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/lib/logger.js';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { SERVER_ID } from './harness.js';

const GOOD_KEY = 'k3y-that-must-not-be-logged-7f1c';
const WRONG_KEY = 'wrong-k3y-that-must-not-be-logged-9a2b';
const IDEMPOTENCY_KEY = 'idem-that-must-not-be-logged-5d3e';

describe('API logging', () => {
  const lines: string[] = [];
  const prefix = freshPrefix('log');
  let api: ApiServer;
  let url: string;

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const config = loadConfig({ env: { APP_ENV: 'test' }, overrides: { redis: { url: TEST_REDIS_URL, prefix }, api: { keys: [GOOD_KEY] } } });
    api = await createApiServer(config, { logger: createLogger({ level: 'debug', pretty: 'false' }, sink) });
    url = await api.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await api?.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('logs requests but never a key', async () => {
    const send = async (key: string, body: unknown): Promise<number> => {
      const res = await fetch(`${url}/v1/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': IDEMPOTENCY_KEY },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await send(GOOD_KEY, { server_id: SERVER_ID }), 202);
    assert.equal(await send(WRONG_KEY, { server_id: SERVER_ID }), 401);
    assert.equal(await send(GOOD_KEY, { server_id: 'not-a-uuid' }), 400);
    const log = lines.join('');
    assert.match(log, /\/v1\/attachments/, 'requests are logged');
    assert.match(log, /UNAUTHORIZED/, 'refusals are logged with their code');
    for (const secret of [GOOD_KEY, WRONG_KEY, IDEMPOTENCY_KEY]) assert.ok(!log.includes(secret), `${secret} is not in the logs`);
  });
});
