/**
 * ListVpcs v3 (`GET /v3/{project_id}/vpc/vpcs`, huawei-cloud-api.md §3.3 / §8 row 3b) over plain signed requests:
 * the v3 field set and status vocabulary, the name/id/cidr filters, marker pagination with page_info, and the
 * v3 error shape `{request_id, error_code, error_msg}`.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../../src/lib/clock.js';
import { startSigned, type SignedEmulator, type SignedResponse } from './signed-fetch.js';

const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
let e: SignedEmulator;

before(async () => {
  e = await startSigned({ clock, timings: { vpc_ready_ms: 2000 } });
});
after(() => e.t.stop());
beforeEach(() => e.t.control.reset());

const listV3 = (query: Array<[string, string]> = [], projectId?: string): Promise<SignedResponse> =>
  e.call('GET', 'vpc/vpcs', { version: 'v3', query, ...(projectId ? { projectId } : {}) });

function assertV3Error(r: SignedResponse, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body as object).sort(), ['error_code', 'error_msg', 'request_id'], 'VPC v3 error shape');
  assert.equal(r.body.error_code, code);
  assert.equal(r.body.request_id, r.headers.get('x-request-id'));
}

async function createVpc(name: string, cidr: string, extra: object = {}): Promise<string> {
  const r = await e.call('POST', 'vpcs', { body: { vpc: { name, cidr, ...extra } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.vpc.id as string;
}

describe('ListVpcs v3', () => {
  it('answers the v3 field set with PENDING → ACTIVE, request_id = X-Request-Id, and counts ListVpcsV3', async () => {
    const empty = await listV3();
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.vpcs, []);
    assert.deepEqual(empty.body.page_info, { current_count: 0 });
    const id = await createVpc('v3-a', '10.1.0.0/16', { description: 'd', tags: ['env*test'] });
    await e.t.control.createServer({ vpc_id: id });
    const r = await listV3();
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), ['page_info', 'request_id', 'vpcs']);
    assert.equal(r.body.request_id, r.headers.get('x-request-id'));
    const v = r.body.vpcs[0];
    assert.deepEqual(Object.keys(v).sort(), [
      'cidr', 'cloud_resources', 'created_at', 'description', 'enterprise_project_id', 'extend_cidrs', 'id', 'name', 'project_id', 'status', 'tags', 'updated_at',
    ]);
    assert.equal(v.id, id);
    assert.equal(v.status, 'PENDING');
    assert.equal(v.project_id, e.t.credentials.projectId);
    assert.equal(v.cidr, '10.1.0.0/16');
    assert.deepEqual(v.extend_cidrs, []);
    assert.deepEqual(v.tags, [{ key: 'env', value: 'test' }]);
    assert.deepEqual(v.cloud_resources, [{ resource_type: 'virsubnet', resource_count: 1 }]);
    assert.match(v.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    clock.advance(2000);
    assert.equal((await listV3()).body.vpcs[0].status, 'ACTIVE');
    assert.equal((await e.call('GET', `vpcs/${id}`)).body.vpc.status, 'OK', 'v1 keeps its own vocabulary');
    assert.equal((await e.t.control.state()).calls.ListVpcsV3, 3);
  });

  it('filters by name, id and cidr (repeatable keys: any value; different keys: all)', async () => {
    const a = await createVpc('alpha', '10.1.0.0/16');
    const b = await createVpc('beta', '10.2.0.0/16');
    const c = await createVpc('gamma', '10.1.0.0/16');
    const ids = async (q: Array<[string, string]>): Promise<string[]> => {
      const r = await listV3(q);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.vpcs.map((v: { id: string }) => v.id);
    };
    assert.deepEqual(await ids([['name', 'beta']]), [b]);
    assert.deepEqual(await ids([['name', 'alpha'], ['name', 'gamma']]), [a, c]);
    assert.deepEqual(await ids([['name', 'nobody']]), []);
    assert.deepEqual(await ids([['cidr', '10.1.0.0/16']]), [a, c]);
    assert.deepEqual(await ids([['cidr', '10.1.0.0/16'], ['name', 'gamma']]), [c]);
    assert.deepEqual(await ids([['id', b], ['id', c]]), [b, c]);
  });

  it('pages with limit and marker; page_info has next_marker only while more follow', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await createVpc(`p-${i}`, `10.${i}.0.0/16`));
    const p1 = (await listV3([['limit', '2']])).body;
    assert.deepEqual(p1.vpcs.map((v: { id: string }) => v.id), made.slice(0, 2));
    assert.deepEqual(p1.page_info, { previous_marker: made[0], current_count: 2, next_marker: made[1] });
    const p2 = (await listV3([['limit', '2'], ['marker', p1.page_info.next_marker]])).body;
    assert.deepEqual(p2.page_info, { previous_marker: made[2], current_count: 2, next_marker: made[3] });
    const p3 = (await listV3([['limit', '2'], ['marker', p2.page_info.next_marker]])).body;
    assert.deepEqual(p3.vpcs.map((v: { id: string }) => v.id), [made[4]]);
    assert.deepEqual(p3.page_info, { previous_marker: made[4], current_count: 1 }, 'no next_marker on the last page');
    const exact = (await listV3([['limit', '5']])).body;
    assert.equal(exact.page_info.next_marker, undefined, 'a full last page has no next_marker either');
    const named = (await listV3([['name', 'p-3'], ['limit', '1']])).body;
    assert.deepEqual(named.page_info, { previous_marker: made[3], current_count: 1 }, 'more means more matching VPCs');
  });

  it('answers errors in the v3 shape: bad limit or unknown marker 400, other project 400, error_rate 500', async () => {
    assertV3Error(await listV3([['limit', '2001']]), 400, 'VPC.0101');
    assertV3Error(await listV3([['limit', 'x']]), 400, 'VPC.0101');
    assertV3Error(await listV3([['marker', '6f0bcd21-4d5c-4a3b-9c1d-2e3f4a5b6c7d']]), 400, 'VPC.0101');
    assertV3Error(await listV3([], 'ffffffffffffffffffffffffffffffff'), 400, 'VPC.0007');
    await e.t.control.configure({ faults: { error_rate: 1 } });
    assertV3Error(await listV3(), 500, 'VPC.0105');
    await e.t.control.configure({ faults: { error_rate: 0 } });
    const unsigned = await e.call('GET', 'vpc/vpcs', { version: 'v3', unsigned: true });
    assert.equal(unsigned.status, 401);
    assert.equal(unsigned.body.error_code, 'APIGW.0301');
    const unknown = await e.call('GET', 'vpc/subnets', { version: 'v3' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error_code, 'APIGW.0101');
  });
});
