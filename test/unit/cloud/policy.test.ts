import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyCloudError } from '../../../src/cloud/classify.js';
import { resolveEndpoints } from '../../../src/cloud/client.js';
import { collectPages, toQuery } from '../../../src/cloud/query.js';
import { GET_BACKOFF, MAX_THROTTLE_PAUSE_MS, retryPause } from '../../../src/cloud/retry.js';
import { decoder, JobSchema } from '../../../src/cloud/schemas.js';
import { buildUrl } from '../../../src/cloud/transport.js';
import type { Job } from '../../../src/cloud/types.js';

const unavailable = classifyCloudError({ kind: 'response', operation: 'ShowJob', method: 'GET', status: 503, bodyText: '' });
const throttled = (retryAfter: string) =>
  classifyCloudError({ kind: 'response', operation: 'ShowJob', method: 'GET', status: 429, bodyText: '', headers: { 'retry-after': retryAfter } });
const notFound = classifyCloudError({ kind: 'response', operation: 'ShowJob', method: 'GET', status: 404, bodyText: '' });

describe('retry policy', () => {
  const policy = { getRetries: 2, random: () => 0.5 };

  it('pauses a GET on a retryable error with jittered backoff, up to getRetries times', () => {
    const first = retryPause('GET', unavailable, 1, policy);
    assert.ok(first !== undefined && first >= GET_BACKOFF.baseMs / 2 && first <= GET_BACKOFF.baseMs);
    const second = retryPause('GET', unavailable, 2, policy);
    assert.ok(second !== undefined && second > first);
    assert.equal(retryPause('GET', unavailable, 3, policy), undefined);
  });

  it('never pauses for POST or DELETE, terminal errors, or non-cloud errors', () => {
    assert.equal(retryPause('POST', unavailable, 1, policy), undefined);
    assert.equal(retryPause('DELETE', unavailable, 1, policy), undefined);
    assert.equal(retryPause('GET', notFound, 1, policy), undefined);
    assert.equal(retryPause('GET', new Error('boom'), 1, policy), undefined);
  });

  it('honours Retry-After up to the cap and hands longer pauses back', () => {
    assert.equal(retryPause('GET', throttled('3'), 1, policy), 3000);
    assert.equal(retryPause('GET', throttled(String(MAX_THROTTLE_PAUSE_MS / 1000 + 1)), 1, policy), undefined);
  });
});

describe('query strings and pagination', () => {
  it('turns arrays into repeated keys, keeps order, skips undefined, stringifies scalars', () => {
    assert.deepEqual(toQuery({ name: 'a', id: ['2', '1'], limit: 5, admin_state_up: false, marker: undefined }), [
      ['name', 'a'],
      ['id', '2'],
      ['id', '1'],
      ['limit', '5'],
      ['admin_state_up', 'false'],
    ]);
    assert.deepEqual(toQuery(undefined), []);
  });

  it('collectPages follows the marker and stops on a short page', async () => {
    const calls: Array<string | undefined> = [];
    const pages: Record<string, string[]> = { '': ['a', 'b'], b: ['c', 'd'], d: ['e'] };
    const all = await collectPages(async (limit, marker) => {
      assert.equal(limit, 2);
      calls.push(marker);
      return (pages[marker ?? ''] ?? []).map((id) => ({ id }));
    }, 2);
    assert.deepEqual(all.map((x) => x.id), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(calls, [undefined, 'b', 'd']);
  });

  it('collectPages stops on an exactly-full last page followed by an empty one', async () => {
    let n = 0;
    const all = await collectPages(async () => (n++ === 0 ? [{ id: 'a' }, { id: 'b' }] : []), 2);
    assert.equal(all.length, 2);
    assert.equal(n, 2);
  });
});

describe('endpoints and URLs', () => {
  it('derives endpoints from the region unless overridden (trailing slashes dropped)', () => {
    assert.deepEqual(resolveEndpoints('ap-southeast-1'), {
      ecs: 'https://ecs.ap-southeast-1.myhuaweicloud.com',
      vpc: 'https://vpc.ap-southeast-1.myhuaweicloud.com',
    });
    assert.deepEqual(resolveEndpoints('cn-north-4', 'http://127.0.0.1:9780/', 'http://127.0.0.1:9780'), {
      ecs: 'http://127.0.0.1:9780',
      vpc: 'http://127.0.0.1:9780',
    });
  });

  it('builds /v1/{project}/... with encoded segments and the signer encoding for the query', () => {
    const u = buildUrl('http://127.0.0.1:9780/', 'p', ['ports', 'a b/c'], [['fixed_ips', 'ip_address=1.2.3.4'], ['name', "x*'"]]);
    assert.equal(u.href, "http://127.0.0.1:9780/v1/p/ports/a%20b%2Fc?fixed_ips=ip_address%3D1.2.3.4&name=x%2A%27");
  });
});

describe('response validation', () => {
  const decode = decoder<Job>(JobSchema);

  it('fills null/empty defaults for job fields a running job omits', () => {
    const r = decode({ status: 'RUNNING', job_id: 'j1' });
    assert.ok(r.ok);
    assert.deepEqual(r.value, { status: 'RUNNING', job_id: 'j1', job_type: '', begin_time: null, end_time: null, error_code: null, fail_reason: null, entities: {} });
  });

  it('rejects an unknown status, a wrong type, a non-object body', () => {
    const bad = decode({ status: 'DONE', job_id: 'j1' });
    assert.ok(!bad.ok);
    assert.match(bad.problem, /^\/status/);
    const wrong = decode({ status: 'FAIL', job_id: 42 });
    assert.ok(!wrong.ok);
    assert.match(wrong.problem, /^\/job_id/);
    assert.ok(!decode([]).ok);
    assert.ok(!decode(null).ok);
  });
});
