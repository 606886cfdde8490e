/**
 * The first-run helpers of `npm start`: a key and a webhook secret made for the run only in development and
 * only when none is configured (the secret only when this process both takes requests and delivers
 * webhooks), and the banner that prints what was made — never a configured key or secret.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../../src/config/load.js';
import { startBanner, withDevApiKey, withDevWebhookSecret } from '../../../src/app/first-run.js';

const dev = loadConfig({ env: { APP_ENV: 'development' } });
const prod = loadConfig({ env: { APP_ENV: 'production' } });
const ALL = ['emulator', 'events', 'workers', 'api'];

describe('first run', () => {
  it('makes an API key only in development with API_KEYS empty', () => {
    const made = withDevApiKey(dev);
    assert.match(made.generatedKey ?? '', /^dev_[0-9a-f]{32}$/);
    assert.deepEqual(made.config.api.keys, [made.generatedKey]);
    assert.equal(withDevApiKey(prod).generatedKey, undefined);
    const configured = loadConfig({ env: { APP_ENV: 'development', API_KEYS: 'k1' } });
    assert.deepEqual(withDevApiKey(configured), { config: configured });
  });

  it('makes a webhook secret only in development, with WEBHOOK_SECRET empty, in a process running api and events', () => {
    const made = withDevWebhookSecret(dev, ALL);
    assert.match(made.generatedSecret ?? '', /^whsec_[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(made.config.webhook.secret, made.generatedSecret);
    // The reference library accepts it (and so will a receiver that copies it from the banner).
    assert.doesNotThrow(() => new Webhook(made.generatedSecret ?? ''));
    assert.equal(withDevWebhookSecret(prod, ALL).generatedSecret, undefined);
    assert.equal(withDevWebhookSecret(dev, ['api']).generatedSecret, undefined, 'an api-only process does not sign');
    assert.equal(withDevWebhookSecret(dev, ['events', 'workers']).generatedSecret, undefined);
    const configured = loadConfig({ env: { APP_ENV: 'development', WEBHOOK_SECRET: made.generatedSecret ?? '' } });
    assert.deepEqual(withDevWebhookSecret(configured, ALL), { config: configured });
  });

  it('prints what was made for the run, and never a configured key', () => {
    const base = { apiUrl: 'http://127.0.0.1:8080', demoServerId: 'srv-1', embeddedEmulatorUrl: 'http://127.0.0.1:9780', prefix: 'nicattach' };
    const made = startBanner({ ...base, generatedKey: 'dev_abc', generatedSecret: 'whsec_c2VjcmV0' });
    assert.match(made, /API key {4}dev_abc {3}\(made for this run/);
    assert.match(made, /webhooks {3}callback_url deliveries signed with whsec_c2VjcmV0 {3}\(made for this run/);
    assert.match(made, /curl -s -X POST http:\/\/127\.0\.0\.1:8080\/v1\/attachments -H 'Authorization: Bearer dev_abc'/);
    const configured = startBanner({ ...base, generatedKey: undefined });
    assert.match(configured, /API key {4}from API_KEYS/);
    assert.doesNotMatch(configured, /webhooks {3}/);
    assert.match(configured, /Bearer <one of your API_KEYS>/);
  });
});
