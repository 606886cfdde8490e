/**
 * The largest batch the API documents is accepted: BATCH_MAX_ITEMS (default 1,000) items, each at the limits of
 * the request (4 KiB of metadata, a 2,048-character callback_url, every other field full) — ~7.9 MB, far over
 * the default API_BODY_LIMIT_BYTES (2 MiB) that every other route keeps. POST /v1/batches has its own limit,
 * derived from the item limit (batchBodyLimit); a body over that is still a 413 naming it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchBodyLimit } from '../../../src/api/server.js';
import { generateSecret } from '../../../src/events/signing.js';
import { startHarness, SERVER_ID, type Harness } from './harness.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

/** An attachment request with every field at its limit (a distinct server id per item). */
function maximalItem(i: number): Record<string, unknown> {
  const metadata: Record<string, string> = {};
  for (let k = 0; k < 32; k += 1) metadata[`k${String(k).padStart(63, '0')}`] = '';
  const pad = 4096 - Buffer.byteLength(JSON.stringify(metadata));
  metadata[`k${'0'.padStart(63, '0')}`] = 'x'.repeat(pad);
  const uuid = (n: number): string => `${SERVER_ID.slice(0, -8)}${n.toString(16).padStart(8, '0')}`;
  return {
    server_id: uuid(i),
    vpc: { name: 'v'.repeat(64), cidr: '172.16.0.0/12', description: 'd'.repeat(255) },
    subnet: {
      name: 's'.repeat(64),
      cidr: '172.16.100.0/24',
      gateway_ip: '172.16.100.254',
      description: 'd'.repeat(255),
      dhcp_enable: true,
      ipv6_enable: false,
      primary_dns: '100.125.100.250',
      secondary_dns: '100.125.100.251',
      dns_list: ['100.125.100.250', '100.125.100.251', '100.125.100.252', '100.125.100.253', '100.125.100.254'],
      availability_zone: 'a'.repeat(64),
      extra_dhcp_opts: [
        { opt_name: 'ntp', opt_value: '100.100.100.100,100.100.100.101,100.100.100.102,100.100.100.1' },
        { opt_name: 'addresstime', opt_value: '30000h' },
      ],
    },
    port: { fixed_ip: '172.16.100.100', security_group_ids: Array.from({ length: 10 }, (_, n) => uuid(0x10000 + n)) },
    callback_url: `https://example.com/${'p'.repeat(2048 - 20)}`,
    metadata,
  };
}

describe('POST /v1/batches: a maximal batch fits its body limit', () => {
  let h: Harness;
  before(async () => {
    // A WEBHOOK_SECRET so callback_url is accepted; the default item and body limits.
    h = await startHarness({ overrides: { webhook: { secret: generateSecret() } } });
  });
  after(async () => {
    await h?.stop();
  });

  it(`accepts BATCH_MAX_ITEMS maximal items (a body far over API_BODY_LIMIT_BYTES)`, async () => {
    const { batchMaxItems, bodyLimitBytes } = h.config.api;
    assert.equal(batchMaxItems, 1000);
    const body = { items: Array.from({ length: batchMaxItems }, (_, i) => maximalItem(i)), callback_url: 'https://example.com/batch', metadata: { run: 'max' } };
    const size = Buffer.byteLength(JSON.stringify(body));
    assert.ok(size > 3 * bodyLimitBytes, `the body is ${size} bytes`);
    assert.ok(size < batchBodyLimit(h.config.api));
    const res = await h.call<{ id: string; total: number }>('POST', '/v1/batches', { body });
    assert.equal(res.status, 202, res.text.slice(0, 500));
    assert.equal(res.body.total, batchMaxItems);
    assert.equal(await h.enqueued(), batchMaxItems);
  });

  it('a body over the batch limit is 413 BODY_TOO_LARGE naming the limit; other routes keep API_BODY_LIMIT_BYTES', async () => {
    const limit = batchBodyLimit(h.config.api);
    const raw = JSON.stringify({ items: [{ server_id: SERVER_ID, metadata: { blob: 'x'.repeat(limit) } }] });
    const res = await h.call<ErrorBody>('POST', '/v1/batches', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 413, res.text.slice(0, 300));
    assert.equal(res.body.error.code, 'BODY_TOO_LARGE');
    assert.equal(res.body.error.details.limit_bytes, limit);
    const single = await h.call<ErrorBody>('POST', '/v1/attachments', { body: maximalItem(0) });
    assert.equal(single.status, 202, single.text.slice(0, 300));
    const big = await h.call<ErrorBody>('POST', '/v1/attachments', { raw: JSON.stringify({ server_id: SERVER_ID, metadata: { blob: 'x'.repeat(h.config.api.bodyLimitBytes) } }), headers: { 'content-type': 'application/json' } });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.details.limit_bytes, h.config.api.bodyLimitBytes);
  });
});
