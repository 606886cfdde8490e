/**
 * The first-run experience of `npm start`: an API key when none is configured in development, and the lines
 * printed once everything runs — where the API, its docs, the dashboard and the metrics are, and a curl
 * example against the seeded demo server that works as printed.
 *
 * API key: with APP_ENV=development (the default) and API_KEYS empty, a random key `dev_<hex>` is made for
 * this run and printed (never logged). Every other environment keeps API_KEYS as configured: empty there means
 * every request is refused with 401, and a warning says so.
 *
 * Webhook secret: the same in development for WEBHOOK_SECRET, when this process both takes requests (api) and
 * delivers webhooks (events), as `npm start` does — so a `callback_url` works on a first run (without a secret
 * the API refuses it with 422) and the printed secret verifies what arrives. Only then: a secret made in an
 * api-only process would not be the one another process signs with.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { generateSecret } from '../events/signing.js';

export interface DevKey {
  config: Config;
  /** The key made for this run, when one was. */
  generatedKey?: string;
}

export function withDevApiKey(config: Config): DevKey {
  if (config.env !== 'development' || config.api.keys.length > 0) return { config };
  const key = `dev_${randomBytes(16).toString('hex')}`;
  return { config: { ...config, api: { ...config.api, keys: [key] } }, generatedKey: key };
}

/** A WEBHOOK_SECRET for this run, in development, when this process runs both the api and the events role. */
export function withDevWebhookSecret(config: Config, roles: readonly string[]): { config: Config; generatedSecret?: string } {
  if (config.env !== 'development' || config.webhook.secret !== '' || !roles.includes('api') || !roles.includes('events')) return { config };
  const secret = generateSecret();
  return { config: { ...config, webhook: { ...config.webhook, secret } }, generatedSecret: secret };
}

export interface BannerInput {
  apiUrl: string | undefined;
  /** The key to show: the generated one, or a placeholder when keys are configured (never print those). */
  generatedKey: string | undefined;
  /** The webhook secret made for this run, when one was (never print a configured one). */
  generatedSecret?: string | undefined;
  demoServerId: string | undefined;
  embeddedEmulatorUrl: string | undefined;
  prefix: string;
}

export function startBanner(b: BannerInput): string {
  if (!b.apiUrl) return '';
  const key = b.generatedKey ?? '<one of your API_KEYS>';
  const auth = `-H 'Authorization: Bearer ${key}'`;
  const lines = [
    '',
    `nic-attach is running (queues and records in Redis under "${b.prefix}")`,
    `  API        ${b.apiUrl}        OpenAPI docs: ${b.apiUrl}/docs`,
    `  API key    ${b.generatedKey ? `${b.generatedKey}   (made for this run; set API_KEYS to choose your own)` : 'from API_KEYS'}`,
    `  dashboard  ${b.apiUrl}/admin/queues   (sign in with the key at ${b.apiUrl}/admin/login)`,
    `  metrics    ${b.apiUrl}/metrics   health ${b.apiUrl}/healthz   readiness ${b.apiUrl}/readyz`,
  ];
  if (b.generatedSecret) lines.push(`  webhooks   callback_url deliveries signed with ${b.generatedSecret}   (made for this run; set WEBHOOK_SECRET to choose your own)`);
  if (b.embeddedEmulatorUrl) lines.push(`  cloud      the embedded Huawei Cloud emulator at ${b.embeddedEmulatorUrl} (no cloud credentials configured)`);
  if (b.demoServerId) {
    const body = JSON.stringify({ server_id: b.demoServerId, subnet: { name: 'demo-subnet', cidr: '192.168.10.0/24' } });
    lines.push(
      '',
      `Try it: attach a NIC in a new subnet to the demo server ${b.demoServerId}`,
      `  curl -s -X POST ${b.apiUrl}/v1/attachments ${auth} -H 'Content-Type: application/json' \\`,
      `    -d '${body}'`,
      'then follow it with the id it answers (att_…):',
      `  curl -s ${b.apiUrl}/v1/attachments/<id> ${auth}`,
      `or watch the completion events live: ./bin/nic-attach.js watch --api ${b.apiUrl} --key ${key}`,
    );
  }
  lines.push('', 'Stop with Ctrl-C (SIGINT) or SIGTERM: the API stops taking requests, running stages finish, then it exits.', '');
  return lines.join('\n');
}
