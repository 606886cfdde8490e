/**
 * A worker process killed with SIGKILL mid-run loses nothing: started again, its jobs come back through
 * BullMQ's stalled-job recovery and every attachment ends succeeded, with no duplicate NIC and no orphan port.
 * The worker runs as a real child process (`node --import tsx src/main.ts worker`) configured by env vars.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { childWorkerSuite } from '../helpers/child-workers.js';
import { waitUntil } from '../../src/lib/wait.js';
import type { ServerDetail } from '../../src/cloud/types.js';

const CHILD_ENV = {
  // Jobs of a dead worker come back quickly.
  WORKER_LOCK_DURATION_MS: '1500',
  WORKER_STALLED_INTERVAL_MS: '500',
  SHUTDOWN_TIMEOUT_MS: '5000',
  // A find-or-create lock held by the killed worker expires soon (production: 30 s).
  CREATE_LOCK_TTL_MS: '2000',
};

describe('worker process crash (SIGKILL) and restart', () => {
  // Non-zero timings so that stages are in flight when the worker dies.
  const suite = childWorkerSuite({ timings: { vpc_ready_ms: 0, subnet_ready_ms: 300, job_ms: { min: 300, max: 900 } }, faults: { latency_ms: 20 } });

  it('finishes every attachment after the worker is killed and started again, with no duplicate NIC or orphan port', async () => {
    const { emu, t } = suite;
    const first = await emu.control.createServer();
    const vpcId = first.metadata.vpc_id as string;
    const servers: ServerDetail[] = [first];
    for (let i = 1; i < 4; i += 1) servers.push(await emu.control.createServer({ vpc_id: vpcId }));
    const requests = Array.from({ length: 12 }, (_, i) => ({ server_id: (servers[i % 4] as ServerDetail).id, subnet: { name: 'sn-crash', cidr: '192.168.70.0/24' } }));

    const worker = suite.spawn({ env: CHILD_ENV });
    const ids = await t.submit(requests);

    // Kill it while work is in flight: some attachments past the subnet stage, not all of them done.
    await waitUntil(
      async () => {
        const recs = await t.store.getMany(ids);
        const moved = recs.filter((r) => r && ['port', 'attach', 'poll'].includes(r.stage)).length;
        const done = recs.filter((r) => r && r.status === 'succeeded').length;
        return moved >= 3 && done < ids.length ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, what: `work in flight (worker output: ${worker.output().slice(-500)})` },
    );
    worker.kill('SIGKILL');
    const killed = await worker.exited;
    assert.equal(killed.signal, 'SIGKILL');
    const unfinished = (await t.store.getMany(ids)).filter((r) => r && r.status !== 'succeeded').length;
    assert.ok(unfinished > 0, 'the kill happened mid-run');

    const again = suite.spawn({ env: CHILD_ENV });
    const records = await t.waitForAllTerminal(ids, 60_000);
    for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);

    const state = await emu.control.state();
    assert.equal(state.subnets.filter((s) => s.name === 'sn-crash').length, 1, 'one subnet');
    const ours = state.ports.filter((p) => p.name.startsWith('nicattach-'));
    assert.equal(ours.length, ids.length, 'one port per attachment');
    assert.deepEqual(ours.filter((p) => p.device_id === ''), [], 'no orphan port');
    for (const [i, s] of servers.entries()) {
      const ifs = await t.cloud.listServerInterfaces(s.id);
      assert.equal(ifs.interfaceAttachments.length, 1 + requests.filter((_, j) => j % 4 === i).length, `NICs of server ${i}`);
      assert.equal(new Set(ifs.interfaceAttachments.map((n) => n.port_id)).size, ifs.interfaceAttachments.length, 'no duplicate NIC');
    }

    again.kill('SIGTERM');
    const stopped = await again.exited;
    assert.equal(stopped.code, 0, again.output().slice(-1000));
  });
});
