/**
 * Exactly-once effects on an at-least-once queue: many attachments at once, with the emulator failing,
 * dropping answers and throttling, still end with exactly one shared subnet, one NIC per attachment, no
 * orphan or duplicate port, and one batch.completed; attachments naming a new VPC make none (it could never be
 * their server's); a create whose answer was lost is found, not repeated.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodeFetch from 'node-fetch';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import type { BatchSummary, CompletionEvent } from '../../../src/workflow/types.js';
import type { ServerDetail } from '../../../src/cloud/types.js';

async function events(w: TestWorkers): Promise<CompletionEvent[]> {
  const entries = await w.redis.xrange(w.keys.events(), '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1] as string) as CompletionEvent);
}

/** A fetch that lets the emulator carry out the first call of each listed kind, then loses its answer. */
function losingFirstAnswerOf(kinds: string[]): { fetch: typeof nodeFetch; lost: string[] } {
  const lost: string[] = [];
  const fetch = (async (url: Parameters<typeof nodeFetch>[0], init?: Parameters<typeof nodeFetch>[1]) => {
    const res = await nodeFetch(url, init);
    const path = new URL(String(url)).pathname.replace(/^\/v1\/[0-9a-f]{32}/, '');
    const kind = `${init?.method ?? 'GET'} ${path}`;
    if (kinds.includes(kind) && !lost.includes(kind)) {
      lost.push(kind);
      await res.text();
      throw Object.assign(new Error('socket hang up (answer lost on purpose)'), { code: 'ECONNRESET' });
    }
    return res;
  }) as typeof nodeFetch;
  return { fetch, lost };
}

/**
 * A fetch that only observes what the workers' calls met (every call goes to the emulator unchanged): so the
 * fault test can show its faults actually fired.
 */
function observingFetch(): { fetch: typeof nodeFetch; seen: { throttled: number; serverErrors: number; lost: number } } {
  const seen = { throttled: 0, serverErrors: 0, lost: 0 };
  const fetch = (async (url: Parameters<typeof nodeFetch>[0], init?: Parameters<typeof nodeFetch>[1]) => {
    let res;
    try {
      res = await nodeFetch(url, init);
    } catch (err) {
      // drop_response_rate: the emulator carried the call out, then cut the connection before answering.
      seen.lost += 1;
      throw err;
    }
    if (res.status === 429) seen.throttled += 1;
    else if (res.status >= 500) seen.serverErrors += 1;
    return res;
  }) as typeof nodeFetch;
  return { fetch, seen };
}

describe('attach workflow: exactly-once effects', () => {
  let emu: TestEmulator;

  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu?.stop();
  });

  describe('20 attachments on 8 servers sharing one new subnet, with faults on', () => {
    let w: TestWorkers;
    const observed = observingFetch();
    before(async () => {
      w = await startTestWorkers({ emulator: emu, fetch: observed.fetch, overrides: { workers: { concurrency: { network: 8, subnet: 8, port: 8, attach: 8, poll: 8 } } } });
    });
    after(async () => {
      await emu.control.configure({ faults: { error_rate: 0, drop_response_rate: 0, throttle_rps: 0 } });
      await w?.stop();
    });

    it('all succeed with one subnet, one NIC each, no orphan or duplicate port, one batch.completed', async () => {
      const first = await emu.control.createServer();
      const vpcId = first.metadata.vpc_id as string;
      const servers: ServerDetail[] = [first];
      for (let i = 1; i < 8; i += 1) servers.push(await emu.control.createServer({ vpc_id: vpcId }));
      await emu.control.configure({ faults: { error_rate: 0.1, drop_response_rate: 0.05, throttle_rps: 30 } });

      const requests = Array.from({ length: 20 }, (_, i) => ({
        server_id: (servers[i % 8] as ServerDetail).id,
        subnet: { name: 'shared', cidr: '192.168.50.0/24' },
      }));
      const ids = await w.submit(requests, { batch: { metadata: { run: 'faults' } } });
      const records = await w.waitForAllTerminal(ids, 120_000);
      await emu.control.configure({ faults: { error_rate: 0, drop_response_rate: 0, throttle_rps: 0 } });

      for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
      // The faults fired: throttled answers, injected 5xx, and answers lost after the emulator acted.
      assert.ok(observed.seen.throttled > 0, `429s seen: ${JSON.stringify(observed.seen)}`);
      assert.ok(observed.seen.serverErrors > 0, `5xx seen: ${JSON.stringify(observed.seen)}`);
      assert.ok(observed.seen.lost > 0, `lost answers seen: ${JSON.stringify(observed.seen)}`);
      const state = await emu.control.state();
      assert.equal(state.subnets.filter((s) => s.name === 'shared').length, 1, 'exactly one subnet');
      const subnetId = records[0]?.subnet_id;
      assert.ok(records.every((r) => r.subnet_id === subnetId));
      assert.equal(records.filter((r) => r.created_subnet).length, 1, 'one attachment created it');

      const ours = state.ports.filter((p) => p.name.startsWith('nicattach-'));
      assert.equal(ours.length, 20, 'one port per attachment, no duplicate');
      assert.deepEqual(ours.filter((p) => p.device_id === '' || p.status === 'DOWN'), [], 'no unattached (orphan) port');
      for (const r of records) assert.equal(ours.filter((p) => p.name === `nicattach-${r.id}`).length, 1);

      for (const [i, s] of servers.entries()) {
        const expected = 1 + requests.filter((_, j) => j % 8 === i).length;
        const ifs = await w.cloud.listServerInterfaces(s.id);
        assert.equal(ifs.interfaceAttachments.length, expected, `NICs of server ${i}`);
      }
      assert.ok(records.every((r) => (r.cloud_calls ?? 0) > 0));

      const all = await events(w);
      const batchDone = all.filter((e) => e.type === 'batch.completed');
      assert.equal(batchDone.length, 1, 'exactly one batch.completed');
      const summary = batchDone[0]?.data as BatchSummary;
      assert.equal(summary.total, 20);
      assert.equal(summary.counts.succeeded, 20);
      assert.deepEqual(summary.metadata, { run: 'faults' });
      assert.equal(all.filter((e) => e.type === 'attachment.succeeded').length, 20, 'one event per attachment');
      const batch = await w.store.getBatch(records[0]?.batch_id as string);
      assert.equal(batch?.counts.succeeded, 20);
    });
  });

  describe('concurrent find-or-create and lost answers', () => {
    let w: TestWorkers;
    let lossy: ReturnType<typeof losingFirstAnswerOf>;
    before(async () => {
      lossy = losingFirstAnswerOf(['POST /subnets', 'POST /ports']);
      w = await startTestWorkers({ emulator: emu, fetch: lossy.fetch });
    });
    after(async () => {
      await w?.stop();
    });

    it('six attachments naming the same new VPC create none: all fail VPC_MISMATCH before anything is made', async () => {
      const servers = await Promise.all(Array.from({ length: 6 }, () => emu.control.createServer()));
      const before = (await emu.control.state()).calls;
      const ids = await w.submit(servers.map((s) => ({ server_id: s.id, vpc: { name: 'vpc-race', cidr: '10.60.0.0/16' } })));
      const records = await w.waitForAllTerminal(ids);
      // A brand-new VPC can never be a server's VPC (extension NICs live in the server's own VPC): the network
      // stage resolves the name against the server's VPC and creates nothing it could not use.
      for (const r of records) assert.equal(r.error?.code, 'VPC_MISMATCH', `${r.id}: ${JSON.stringify(r.error)}`);
      const state = await emu.control.state();
      assert.equal(state.vpcs.filter((v) => v.name === 'vpc-race').length, 0, 'no VPC created');
      assert.equal((state.calls.CreateVpc ?? 0) - (before.CreateVpc ?? 0), 0, 'no CreateVpc');
      assert.equal((state.calls.CreatePort ?? 0) - (before.CreatePort ?? 0), 0, 'no port');
      assert.equal(records.filter((r) => r.created_vpc).length, 0);
    });

    it('finds a subnet and a port whose create answers were lost, instead of creating them again', async () => {
      const first = await emu.control.createServer();
      const vpcId = first.metadata.vpc_id as string;
      const servers = [first, ...(await Promise.all(Array.from({ length: 3 }, () => emu.control.createServer({ vpc_id: vpcId }))))];
      const before = (await emu.control.state()).calls;
      const ids = await w.submit(servers.map((s) => ({ server_id: s.id, subnet: { name: 'sn-lost', cidr: '192.168.60.0/24' } })));
      const records = await w.waitForAllTerminal(ids);
      for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
      assert.deepEqual(lossy.lost.sort(), ['POST /ports', 'POST /subnets']);
      const state = await emu.control.state();
      assert.equal(state.subnets.filter((s) => s.name === 'sn-lost').length, 1);
      assert.equal((state.calls.CreateSubnet ?? 0) - (before.CreateSubnet ?? 0), 1, 'CreateSubnet not repeated');
      // The attachment whose CreateSubnet answer was lost still knows it created the subnet (its marker), so a
      // cleanup with cleanup.deleteNetworks could undo it; the others found it.
      assert.equal(records.filter((r) => r.created_subnet).length, 1, 'one attachment created it');
      assert.equal(records.filter((r) => r.subnet_create_requested_at).length, 1, 'one attachment posted CreateSubnet');
      assert.equal((state.calls.CreatePort ?? 0) - (before.CreatePort ?? 0), 4, 'one CreatePort per attachment');
      for (const r of records) assert.equal(state.ports.filter((p) => p.name === `nicattach-${r.id}`).length, 1);
    });
  });
});
