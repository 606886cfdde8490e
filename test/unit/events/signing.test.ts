/** Standard Webhooks signing against the reference library and a published vector; retry timing helpers. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { generateSecret, secretKey, signatureFor, signedHeaders } from '../../../src/events/signing.js';
import { retryDelay } from '../../../src/events/delivery.js';
import { parseRetryAfter } from '../../../src/lib/backoff.js';

describe('webhook signing', () => {
  it('matches the Standard Webhooks example vector', () => {
    assert.equal(
      signatureFor('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('agrees with the reference library for generated secrets and any body', () => {
    for (let i = 0; i < 20; i++) {
      const secret = generateSecret();
      const body = JSON.stringify({ i, text: 'héllo ✓', nested: { a: [1, 2, 3] } });
      const ts = Math.floor(Date.now() / 1000);
      const headers = signedHeaders([secret], `evt_${i}`, ts, body);
      assert.equal(headers['webhook-signature'], new Webhook(secret).sign(`evt_${i}`, new Date(ts * 1000), body));
      assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
    }
  });

  it('sends one signature per secret, each verifiable alone', () => {
    const a = generateSecret();
    const b = generateSecret();
    const ts = Math.floor(Date.now() / 1000);
    const h = signedHeaders([a, b], 'evt_x', ts, '{}');
    assert.equal(h['webhook-signature'].split(' ').length, 2);
    new Webhook(a).verify('{}', { ...h });
    new Webhook(b).verify('{}', { ...h });
    assert.throws(() => new Webhook(generateSecret()).verify('{}', { ...h }));
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const s = generateSecret();
    assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(secretKey(s).length, 32);
    assert.notEqual(generateSecret(), s);
  });

  it('refuses a malformed secret', () => {
    assert.throws(() => secretKey('whsec_not base64!'), { code: 'CONFIG_INVALID' });
    assert.throws(() => signedHeaders([], 'evt', 1, '{}'), { code: 'CONFIG_INVALID' });
  });
});

describe('retry timing', () => {
  const schedule = [5_000, 300_000, 1_800_000];
  it('follows the schedule with at most ±15 % jitter, then stops', () => {
    assert.equal(retryDelay(schedule, 1, () => 0.5), 5_000);
    assert.equal(retryDelay(schedule, 1, () => 0), 4_250);
    assert.equal(retryDelay(schedule, 1, () => 1), 5_750);
    assert.equal(retryDelay(schedule, 3, () => 0.5), 1_800_000);
    assert.equal(retryDelay(schedule, 4, () => 0.5), undefined);
  });
  it('honours a longer Retry-After, capped at a day', () => {
    assert.equal(retryDelay(schedule, 1, () => 0.5, 60_000), 60_000);
    assert.equal(retryDelay(schedule, 2, () => 0.5, 60_000), 300_000);
    assert.equal(retryDelay(schedule, 1, () => 0.5, 7 * 86_400_000), 86_400_000);
  });
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2024-01-15T08:30:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Mon, 15 Jan 2024 08:31:00 GMT', now), 60_000);
    assert.equal(parseRetryAfter('Mon, 15 Jan 2024 08:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});
