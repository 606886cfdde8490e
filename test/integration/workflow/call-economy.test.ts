/**
 * The cloud calls an attachment makes, and the markers that let a first run skip the look-ups: a first run
 * into an existing subnet makes no ListPorts and no pre-attach ListServerInterfaces, and attachments into the
 * same subnet share one ShowSubnet; a re-run after a lost
 * CreatePort answer (port_create_requested_at set, answer dropped) finds the port instead of creating a
 * second; a re-run after a lost BatchAddServerNics answer (attach_requested_at set, no job id) finds the
 * port on the server instead of attaching it twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodeFetch from 'node-fetch';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import type { ServerDetail } from '../../../src/cloud/types.js';

/** A fetch that lets the emulator carry out the first call matching each pattern, then loses its answer. */
function losingFirstAnswerOf(patterns: Array<{ method: string; path: RegExp }>): { fetch: typeof nodeFetch; lost: string[] } {
  const lost: string[] = [];
  const fetch = (async (url: Parameters<typeof nodeFetch>[0], init?: Parameters<typeof nodeFetch>[1]) => {
    const res = await nodeFetch(url, init);
    const path = new URL(String(url)).pathname.replace(/^\/v1\/[0-9a-f]{32}/, '');
    const method = init?.method ?? 'GET';
    const hit = patterns.find((p) => p.method === method && p.path.test(path));
    if (hit && !lost.includes(hit.path.source)) {
      lost.push(hit.path.source);
      await res.text();
      throw Object.assign(new Error('socket hang up (answer lost on purpose)'), { code: 'ECONNRESET' });
    }
    return res;
  }) as typeof nodeFetch;
  return { fetch, lost };
}

async function serversWithSubnet(emu: TestEmulator, w: TestWorkers, n: number, cidr: string): Promise<{ servers: ServerDetail[]; subnetId: string }> {
  const first = await emu.control.createServer();
  const vpcId = first.metadata.vpc_id as string;
  const servers = [first, ...(await Promise.all(Array.from({ length: n - 1 }, () => emu.control.createServer({ vpc_id: vpcId }))))];
  const subnet = await w.cloud.createSubnet({ name: `sn-${cidr.split('.')[2] ?? 'x'}`, cidr, gateway_ip: cidr.replace(/0\/24$/, '1'), vpc_id: vpcId });
  return { servers, subnetId: subnet.id };
}

function delta(after_: Record<string, number>, before_: Record<string, number>, op: string): number {
  return (after_[op] ?? 0) - (before_[op] ?? 0);
}

describe('attach workflow: cloud calls per attachment', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu?.stop();
  });

  describe('without faults', () => {
    let w: TestWorkers;
    before(async () => {
      w = await startTestWorkers({ emulator: emu });
    });
    after(async () => {
      await w?.stop();
    });

    it('a first run makes no ListPorts and no pre-attach ListServerInterfaces', async () => {
      const { servers, subnetId } = await serversWithSubnet(emu, w, 3, '192.168.70.0/24');
      const before_ = (await emu.control.state()).calls;
      const ids = await w.submit(servers.map((s) => ({ server_id: s.id, subnet: { id: subnetId } })));
      const records = await w.waitForAllTerminal(ids);
      for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
      const calls = (await emu.control.state()).calls;
      assert.equal(delta(calls, before_, 'ListPorts'), 0, 'no ListPorts');
      // One in the network stage (free NIC slots) and one confirming SUCCESS in poll: none before the attach.
      assert.equal(delta(calls, before_, 'ListServerInterfaces'), 2 * ids.length, 'ListServerInterfaces: network + poll only');
      assert.equal(delta(calls, before_, 'CreatePort'), ids.length);
      assert.equal(delta(calls, before_, 'BatchAddServerNics'), ids.length);
      assert.equal(delta(calls, before_, 'ShowPort'), 0);
      // The three subnet stages share one ShowSubnet answer (ACTIVE, reused for a few seconds, or joined in flight).
      const showSubnets = delta(calls, before_, 'ShowSubnet');
      assert.equal(showSubnets, 1, 'one ShowSubnet for three attachments into the same subnet');
      let counted = 0;
      for (const r of records) {
        assert.ok(r.port_create_requested_at, 'the port marker was written');
        assert.ok(r.attach_requested_at, 'the attach marker was written');
        assert.ok(r.ecs_job_id);
        const showJobs = r.poll_count ?? 1;
        // ShowServer, ListServerInterfaces, [ShowSubnet], CreatePort, BatchAddServerNics, ShowJob × polls, ListServerInterfaces.
        assert.ok(r.cloud_calls === 5 + showJobs || r.cloud_calls === 6 + showJobs, `${r.id}: cloud_calls ${r.cloud_calls} counted with the stage writes`);
        counted += (r.cloud_calls ?? 0) - 5 - showJobs;
      }
      assert.equal(counted, showSubnets, 'the shared ShowSubnet is counted once, in the record of the stage that made it');
    });
  });

  describe('lost answers', () => {
    let w: TestWorkers;
    let lossy: ReturnType<typeof losingFirstAnswerOf>;
    before(async () => {
      lossy = losingFirstAnswerOf([
        { method: 'POST', path: /^\/ports$/ },
        { method: 'POST', path: /^\/cloudservers\/[^/]+\/nics$/ },
      ]);
      w = await startTestWorkers({ emulator: emu, fetch: lossy.fetch });
    });
    after(async () => {
      await w?.stop();
    });

    it('a re-run after a lost CreatePort or BatchAddServerNics answer finds the port; no duplicate port or NIC', async () => {
      const { servers, subnetId } = await serversWithSubnet(emu, w, 3, '192.168.71.0/24');
      const before_ = (await emu.control.state()).calls;
      const ids = await w.submit(servers.map((s) => ({ server_id: s.id, subnet: { id: subnetId } })));
      const records = await w.waitForAllTerminal(ids);
      for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
      assert.equal(lossy.lost.length, 2, 'both answers were lost');
      const state = await emu.control.state();

      // The port: created once per attachment; only the re-run after the lost answer looked it up.
      assert.equal(delta(state.calls, before_, 'CreatePort'), ids.length, 'CreatePort not repeated');
      assert.equal(delta(state.calls, before_, 'ListPorts'), 1, 'one ListPorts: the re-run after the lost answer');
      for (const r of records) {
        const ports = state.ports.filter((p) => p.name === `nicattach-${r.id}`);
        assert.equal(ports.length, 1, `${r.id}: one port`);
        assert.equal(ports[0]?.device_id, r.server_id, `${r.id}: the port is on its server`);
        assert.equal(r.port_id, ports[0]?.id);
      }

      // The attach: the one whose answer was lost has its marker but no job id, and was not attached twice.
      const lostAttach = records.filter((r) => !r.ecs_job_id);
      assert.equal(lostAttach.length, 1, 'one attachment lost its BatchAddServerNics answer');
      assert.ok(lostAttach[0]?.attach_requested_at);
      for (const s of servers) {
        const ifs = await w.cloud.listServerInterfaces(s.id);
        assert.equal(ifs.interfaceAttachments.length, 2, `server ${s.id}: its primary NIC and exactly one new one`);
      }
      const accepted = delta(state.calls, before_, 'BatchAddServerNics');
      // A repeat while the first job still ran is refused (Ecs.0603/0919) and never attaches a second NIC.
      assert.ok(accepted >= ids.length && accepted <= ids.length + 1, `BatchAddServerNics ${accepted}`);
    });
  });
});
