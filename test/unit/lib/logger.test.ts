import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/lib/logger.js';

function capture(): { lines: Array<Record<string, unknown>>; raw: string[]; logger: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      raw.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', pretty: 'false', name: 'logger-test' }, sink);
  return {
    raw,
    logger,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

const AUTH = 'SDK-HMAC-SHA256 Access=AKLEAK, SignedHeaders=host;x-sdk-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

const cases: Array<{ name: string; obj: Record<string, unknown>; secrets: string[]; path: string[] }> = [
  { name: 'a top-level Authorization header value', obj: { authorization: AUTH }, secrets: ['AKLEAK', 'Signature='], path: ['authorization'] },
  { name: 'Authorization with a capital A', obj: { Authorization: 'Bearer api-key-1' }, secrets: ['api-key-1'], path: ['Authorization'] },
  { name: 'headers.authorization', obj: { headers: { authorization: AUTH } }, secrets: ['AKLEAK'], path: ['headers', 'authorization'] },
  { name: 'req.headers.authorization (fastify request)', obj: { req: { headers: { authorization: 'Bearer api-key-2' } } }, secrets: ['api-key-2'], path: ['req', 'headers', 'authorization'] },
  { name: 'req.headers x-auth-token', obj: { req: { headers: { 'x-auth-token': 'iam-token-1' } } }, secrets: ['iam-token-1'], path: ['req', 'headers', 'x-auth-token'] },
  { name: 'headers x-auth-token', obj: { headers: { 'x-auth-token': 'iam-token-2' } }, secrets: ['iam-token-2'], path: ['headers', 'x-auth-token'] },
  { name: 'a signature', obj: { signature: 'deadbeefsig' }, secrets: ['deadbeefsig'], path: ['signature'] },
  { name: 'a nested signature', obj: { delivery: { signature: 'v1,c2lnbmF0dXJl' } }, secrets: ['c2lnbmF0dXJl'], path: ['delivery', 'signature'] },
  { name: 'a webhook-signature header', obj: { 'webhook-signature': 'v1,whsig' }, secrets: ['whsig'], path: ['webhook-signature'] },
  { name: 'ak / sk', obj: { ak: 'AKPLAIN', sk: 'SKPLAIN' }, secrets: ['AKPLAIN', 'SKPLAIN'], path: ['sk'] },
  { name: 'cloud.ak / cloud.sk', obj: { cloud: { ak: 'AKNESTED', sk: 'SKNESTED', region: 'cn-north-4' } }, secrets: ['AKNESTED', 'SKNESTED'], path: ['cloud', 'sk'] },
  { name: 'accessKey / secretKey', obj: { accessKey: 'AKCAMEL', secretKey: 'SKCAMEL' }, secrets: ['AKCAMEL', 'SKCAMEL'], path: ['secretKey'] },
  { name: 'credentials.accessKey / secretKey', obj: { credentials: { accessKey: 'AKCRED', secretKey: 'SKCRED' } }, secrets: ['AKCRED', 'SKCRED'], path: ['credentials', 'secretKey'] },
  { name: 'apiKey', obj: { apiKey: 'api-key-3' }, secrets: ['api-key-3'], path: ['apiKey'] },
  { name: 'api.keys', obj: { api: { keys: ['api-key-4', 'api-key-5'] } }, secrets: ['api-key-4', 'api-key-5'], path: ['api', 'keys'] },
  { name: 'token and authToken', obj: { token: 'tok-1', cloud: { authToken: 'tok-2' } }, secrets: ['tok-1', 'tok-2'], path: ['token'] },
  { name: 'webhook secrets', obj: { webhookSecret: 'whsec_AAAA', webhook: { secret: 'whsec_BBBB' } }, secrets: ['whsec_AAAA', 'whsec_BBBB'], path: ['webhook', 'secret'] },
];

describe('logger redaction', () => {
  for (const c of cases) {
    it(`redacts ${c.name}`, () => {
      const cap = capture();
      cap.logger.info({ ...c.obj, operation: 'ShowVpc' }, 'something happened');
      assert.equal(cap.raw.length, 1);
      for (const s of c.secrets) assert.ok(!cap.raw[0]!.includes(s), `${s} leaked: ${cap.raw[0]!}`);
      let node: unknown = cap.lines[0];
      for (const p of c.path) node = (node as Record<string, unknown>)[p];
      assert.equal(node, '[REDACTED]');
      assert.equal(cap.lines[0]!.operation, 'ShowVpc', 'ordinary fields stay');
    });
  }

  it('redacts in child loggers too and keeps the service name and message', () => {
    const cap = capture();
    cap.logger.child({ attachment_id: 'att_1' }).warn({ headers: { authorization: AUTH } }, 'child line');
    const line = cap.lines[0]!;
    assert.equal(line.service, 'logger-test');
    assert.equal(line.attachment_id, 'att_1');
    assert.equal(line.msg, 'child line');
    assert.deepEqual(line.headers, { authorization: '[REDACTED]' });
  });

  it('redacts sensitive keys at any depth, in arrays and in errors, and credential-shaped text in strings', () => {
    const cap = capture();
    const err = Object.assign(new Error(`request failed: Authorization: ${AUTH}`), { config: { credentials: { nested: { secretKey: 'SKDEEP' } } } });
    cap.logger.error(
      { err, a: { b: { c: { d: { authToken: 'tok-deep', ok: 1 } } } }, list: [{ password: 'pw-1' }], note: 'sent with Bearer api-key-9 and whsec_QUJDREVGR0g=' },
      'call with Authorization SDK-HMAC-SHA256 Access=AKMSG, Signature=abcdef0123456789',
    );
    const raw = cap.raw[0]!;
    for (const s of ['SKDEEP', 'tok-deep', 'pw-1', 'api-key-9', 'QUJDREVGR0g', 'AKMSG', 'abcdef0123456789', 'AKLEAK', '0123456789abcdef0123']) {
      assert.ok(!raw.includes(s), `${s} leaked: ${raw}`);
    }
    const line = cap.lines[0]!;
    assert.deepEqual(line.a, { b: { c: { d: { authToken: '[REDACTED]', ok: 1 } } } });
    assert.match(String(line.msg), /^call with Authorization SDK-HMAC-SHA256 Access=\[REDACTED\], Signature=\[REDACTED\]$/);
    assert.match(String((line.err as { message: string }).message), /^request failed/);
  });

  it('does not alter the object that was logged', () => {
    const cap = capture();
    const obj = { sk: 'SKKEEP', deep: { inner: { secret: 'SECRETKEEP' } }, text: 'Bearer keep-me' };
    cap.logger.info(obj, 'x');
    assert.equal(obj.sk, 'SKKEEP');
    assert.equal(obj.deep.inner.secret, 'SECRETKEEP');
    assert.equal(obj.text, 'Bearer keep-me');
  });

  it('honours the level', () => {
    const raw: string[] = [];
    const logger = createLogger({ level: 'warn', pretty: 'false' }, { write: (s: string) => void raw.push(s) });
    logger.debug('hidden');
    logger.info('hidden');
    logger.warn('shown');
    assert.equal(raw.length, 1);
    assert.match(raw[0]!, /"msg":"shown"/);
  });
});
