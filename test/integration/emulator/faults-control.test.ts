/**
 * Fault injection (PUT /_emulator/config) and the control API over HTTP: error_rate, throttle_rps, latency_ms,
 * drop_response_rate, job_fail_rate; config validation, reset, servers, state and call counts.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { manualClock } from '../../../src/lib/clock.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { startSigned, type SignedEmulator } from './signed-fetch.js';

const clock = manualClock(Date.UTC(2024, 0, 15, 8, 30, 0));
let e: SignedEmulator;

before(async () => {
  e = await startSigned({ clock });
});
after(() => e.t.stop());
beforeEach(() => e.t.control.reset());

async function serverAndPort(): Promise<{ serverId: string; portId: string; subnetId: string }> {
  const s = await e.t.control.createServer({});
  const subnet = (await e.call('GET', 'subnets', { query: [['vpc_id', s.metadata.vpc_id ?? '']] })).body.subnets[0];
  const port = (await e.call('POST', 'ports', { body: { port: { network_id: subnet.id } } })).body.port;
  return { serverId: s.id, portId: port.id, subnetId: subnet.id };
}

describe('faults', () => {
  it('error_rate = 1 answers 5xx in the service shape before the operation runs; control is unaffected', async () => {
    await e.t.control.configure({ faults: { error_rate: 1 } });
    const v = await e.call('POST', 'vpcs', { body: { vpc: { name: 'never' } } });
    assert.equal(v.status, 500);
    assert.deepEqual(Object.keys(v.body).sort(), ['code', 'message'], 'VPC v1 shape');
    assert.equal(v.body.code, 'VPC.0105');
    const j = await e.call('GET', 'jobs/x');
    assert.equal(j.status, 500);
    assert.deepEqual(Object.keys(j.body), ['error'], 'ECS shape');
    assert.equal(j.body.error.code, 'Ecs.1000');
    const state = await e.t.control.state();
    assert.equal(state.vpcs.length, 0, 'the operation did not run');
    assert.equal(state.calls.CreateVpc, 1, 'the call reached the service and was counted');
  });

  it('throttle_rps answers 429 APIGW.0308 with Retry-After once the bucket is empty, refilling on the clock', async () => {
    await e.t.control.configure({ faults: { throttle_rps: 2 } });
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
    const r = await e.call('GET', 'vpcs');
    assert.equal(r.status, 429);
    assert.equal(r.body.error_code, 'APIGW.0308');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.body.request_id, r.headers.get('x-request-id'));
    clock.advance(500);
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
    assert.equal((await e.call('GET', 'vpcs')).status, 429);
    assert.equal((await fetch(`${e.t.url}/_emulator/state`)).status, 200, 'control is never throttled');
  });

  it('latency_ms delays every signed answer', async () => {
    await e.t.control.configure({ faults: { latency_ms: 150 } });
    const t0 = performance.now();
    assert.equal((await e.call('GET', 'vpcs')).status, 200);
    assert.ok(performance.now() - t0 >= 140, 'the answer waited');
  });

  it('drop_response_rate = 1 carries the operation out, then cuts the connection before answering', async () => {
    const { subnetId } = await serverAndPort();
    await e.t.control.configure({ faults: { drop_response_rate: 1 } });
    await assert.rejects(e.call('POST', 'ports', { body: { port: { network_id: subnetId, name: 'dropped' } } }));
    await e.t.control.configure({ faults: { drop_response_rate: 0 } });
    const ports = (await e.call('GET', 'ports', { query: [['name', 'dropped']] })).body.ports;
    assert.equal(ports.length, 1, 'the port exists although the client saw no answer');
  });

  it('job_fail_rate = 1 ends NIC jobs FAIL with an error code and reason, and changes nothing', async () => {
    const { serverId, portId } = await serverAndPort();
    await e.t.control.configure({ faults: { job_fail_rate: 1 } });
    const job = (await e.call('POST', `cloudservers/${serverId}/nics`, { body: { nics: [{ port_id: portId }] } })).body.job_id;
    const j = (await e.call('GET', `jobs/${job}`)).body;
    assert.equal(j.status, 'FAIL');
    assert.equal(j.error_code, 'Ecs.0217');
    assert.match(j.fail_reason, /job_fail_rate/);
    assert.equal(j.entities.sub_jobs[0].status, 'FAIL');
    assert.equal((await e.call('GET', `ports/${portId}`)).body.port.status, 'DOWN');
  });

  it('uses the injected random source, so fault decisions are deterministic', async () => {
    const seq = [0.9, 0.2];
    let i = 0;
    const d = await startSigned({ clock, random: () => seq[i++ % seq.length] ?? 0, faults: { error_rate: 0.5 } });
    try {
      assert.equal((await d.call('GET', 'vpcs')).status, 200);
      assert.equal((await d.call('GET', 'vpcs')).status, 500);
      assert.equal((await d.call('GET', 'vpcs')).status, 200);
    } finally {
      await d.t.stop();
    }
  });
});

describe('control API', () => {
  /** Attaches `count` NICs to a new server one after the other, each job run to its end; their durations. */
  const drawJobDurations = async (count: number, advanceMs: number): Promise<number[]> => {
    const s = await e.t.control.createServer({ max_nics: 64 });
    const subnet = (await e.call('GET', 'subnets')).body.subnets[0];
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      const port = (await e.call('POST', 'ports', { body: { port: { network_id: subnet.id } } })).body.port;
      const job = (await e.call('POST', `cloudservers/${s.id}/nics`, { body: { nics: [{ port_id: port.id }] } })).body.job_id;
      clock.advance(advanceMs);
      const j = (await e.call('GET', `jobs/${job}`)).body;
      out.push(Date.parse(j.end_time) - Date.parse(j.begin_time));
    }
    return out;
  };

  it('GET/PUT /_emulator/config: partial updates, validation with no change on error', async () => {
    const before = await e.t.control.config();
    assert.equal(before.faults.error_rate, 0);
    const after = await e.t.control.configure({ timings: { job_ms: { min: 10, max: 20, median: 15, sigma: 0.3 } }, faults: { latency_ms: 0 } });
    assert.deepEqual(after.timings.job_ms, { min: 10, max: 20, median: 15, sigma: 0.3 });
    assert.equal(after.timings.vpc_ready_ms, before.timings.vpc_ready_ms);
    for (const bad of [{ faults: { error_rate: 2 } }, { faults: { bogus: 1 } }, { timings: { job_ms: { min: 5, max: 1 } } }, { timings: { vpc_ready_ms: -1 } }, { other: {} }, { seed: -1 }, { seed: 1.5 }, { seed: '7' }]) {
      const res = await fetch(`${e.t.url}/_emulator/config`, { method: 'PUT', body: JSON.stringify(bad), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'EMULATOR.BAD_CONFIG');
    }
    assert.deepEqual(await e.t.control.config(), after, 'a rejected patch changed nothing');
  });

  it('draws log-normal job durations clipped to min..max', async () => {
    // Seeded: with σ 2 most draws clip, and an unseeded run saw too few inside the bounds about one time in seven.
    await e.t.control.configure({ seed: 2024, timings: { job_ms: { min: 1000, max: 3000, median: 2000, sigma: 2 } } });
    const durations = await drawJobDurations(20, 3000);
    assert.ok(durations.every((d) => d >= 1000 && d <= 3000), durations.join(','));
    assert.ok(new Set(durations).size > 3, 'durations vary');
    assert.ok(durations.includes(1000) || durations.includes(3000), 'sigma 2 reaches a clip bound');
  });

  it('a seed makes job durations reproducible', async () => {
    const draw = async (seed: number): Promise<number[]> => {
      await e.t.control.reset();
      await e.t.control.configure({ seed, timings: { job_ms: { min: 1000, max: 30_000, median: 8000, sigma: 0.4 } } });
      return drawJobDurations(5, 30_000);
    };
    const first = await draw(42);
    const again = await draw(42);
    const other = await draw(43);
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
    assert.ok(new Set(first).size > 1, 'durations still vary within a run');
  });

  it('POST /_emulator/servers creates a VPC and subnet, or a subnet in a given VPC; errors are 400/404', async () => {
    const s1 = await e.t.control.createServer({ name: 'one', max_nics: 3 });
    assert.equal(s1.name, 'one');
    const state1 = await e.t.control.state();
    assert.equal(state1.vpcs.length, 1);
    assert.equal(state1.subnets.length, 1);
    assert.equal(state1.vpcs[0]?.status, 'OK');
    assert.equal(state1.subnets[0]?.status, 'ACTIVE');
    const v = (await e.call('POST', 'vpcs', { body: { vpc: { name: 'mine', cidr: '172.16.0.0/16' } } })).body.vpc;
    const s2 = await e.t.control.createServer({ vpc_id: v.id, status: 'SHUTOFF' });
    assert.equal(s2.metadata.vpc_id, v.id);
    assert.equal(s2.status, 'SHUTOFF');
    const sub = (await e.call('GET', 'subnets', { query: [['vpc_id', v.id]] })).body.subnets;
    assert.equal(sub.length, 1);
    assert.equal(sub[0].cidr, '172.16.0.0/24');
    const s3 = await e.t.control.createServer({ vpc_id: v.id });
    assert.equal((await e.call('GET', 'subnets', { query: [['vpc_id', v.id]] })).body.subnets.length, 1, 'reuses the subnet');
    assert.notEqual(s3.id, s2.id);
    const res = await fetch(`${e.t.url}/_emulator/servers`, { method: 'POST', body: JSON.stringify({ vpc_id: 'nope' }) });
    assert.equal(res.status, 404);
    const bad = await fetch(`${e.t.url}/_emulator/servers`, { method: 'POST', body: JSON.stringify({ max_nics: 0 }) });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  });

  it('GET /_emulator/state lists every resource in its API shape and counts calls per operation', async () => {
    const { serverId } = await serverAndPort();
    await e.call('GET', `cloudservers/${serverId}`);
    await e.call('GET', `cloudservers/${serverId}`);
    const st = await e.t.control.state();
    assert.deepEqual(Object.keys(st).sort(), ['calls', 'jobs', 'ports', 'servers', 'subnets', 'vpcs']);
    assert.equal(st.calls.ShowServer, 2);
    assert.equal(st.calls.CreatePort, 1);
    assert.equal(st.calls.ListSubnets, 1);
    assert.equal(st.calls.DeleteVpc, 0);
    assert.equal(Object.keys(st.calls).length, 19, '§8 rows 1–18 and 3b (ListVpcsV3)');
    assert.equal(st.ports.length, 2);
    assert.equal(st.servers[0]?.id, serverId);
  });

  it('reset clears resources, jobs, call counts and faults set since start', async () => {
    await serverAndPort();
    await e.t.control.configure({ faults: { error_rate: 1 } });
    await e.t.control.reset();
    const st = await e.t.control.state();
    assert.equal(st.vpcs.length + st.subnets.length + st.ports.length + st.servers.length + st.jobs.length, 0);
    assert.equal(st.calls.CreatePort, 0);
    assert.equal((await e.t.control.config()).faults.error_rate, 0);
  });

  it('answers unknown control paths with 404', async () => {
    assert.equal((await fetch(`${e.t.url}/_emulator/nothing`)).status, 404);
  });
});

describe('control API is loopback-only', () => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  it('refuses a non-loopback client with 403, while the signed API still answers', { skip: external ? false : 'no non-loopback interface' }, async () => {
    const t = await startTestEmulator();
    await t.stop();
    const { createEmulator } = await import('../../../src/emulator/index.js');
    const emu = createEmulator({ ...t.credentials });
    const { port } = await emu.listen({ host: '0.0.0.0' });
    try {
      const res = await fetch(`http://${external?.address ?? ''}:${port}/_emulator/state`);
      assert.equal(res.status, 403);
      assert.equal((await fetch(`http://127.0.0.1:${port}/_emulator/state`)).status, 200);
    } finally {
      await emu.close();
    }
  });
});
