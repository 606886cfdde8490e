/**
 * Redis restarted under running workers (a private redis-server with AOF, `appendfsync always`, stopped and
 * started again while attachments are in every stage): the workers and the store reconnect, and every
 * attachment accepted before or after the restart ends succeeded — none lost — with exactly one subnet made
 * for the name they share, one NIC and one port each, and no port left DOWN.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../../src/lib/wait.js';
import type { ServerDetail } from '../../../src/cloud/types.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startPrivateRedis, type PrivateRedis } from '../../helpers/redis.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';

describe('Redis restarted under the workers', () => {
  let emu: TestEmulator;
  let redisServer: PrivateRedis;
  let w: TestWorkers;

  before(async () => {
    redisServer = await startPrivateRedis({ appendonly: true });
    emu = await startTestEmulator({ timings: { vpc_ready_ms: 0, subnet_ready_ms: 200, job_ms: { min: 300, max: 800 } }, faults: { latency_ms: 10 } });
    w = await startTestWorkers({ emulator: emu, redisUrl: redisServer.url, overrides: { workers: { lockDurationMs: 2000, stalledIntervalMs: 500 } } });
  });
  after(async () => {
    await w?.stop();
    await emu?.stop();
    await redisServer?.dispose();
  });

  it('loses no attachment and duplicates no cloud resource', async () => {
    const first = await emu.control.createServer();
    const vpcId = first.metadata.vpc_id as string;
    const servers: ServerDetail[] = [first];
    for (let i = 1; i < 4; i += 1) servers.push(await emu.control.createServer({ vpc_id: vpcId }));
    const subnet = { name: 'restart-shared', cidr: '192.168.77.0/24' };
    const before = await w.submit(Array.from({ length: 8 }, (_, i) => ({ server_id: (servers[i % 4] as ServerDetail).id, subnet })));

    // Restart once some attachment waits on its ECS job, while the others are spread over the earlier stages.
    await waitUntil(async () => ((await w.store.getMany(before)).some((r) => r?.stage === 'poll') ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 10,
      what: 'an attachment at the poll stage',
    });
    const stages = new Set((await w.store.getMany(before)).map((r) => r?.stage));
    await redisServer.restart();

    // Submitted after the restart too, on connections that came back by themselves.
    const later = await waitUntil(async () => w.submit(Array.from({ length: 4 }, (_, i) => ({ server_id: (servers[i] as ServerDetail).id, subnet }))).catch(() => undefined), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'a submission after the restart',
    });

    const records = await w.waitForAllTerminal([...before, ...later], 90_000);
    for (const r of records) assert.equal(r.status, 'succeeded', `${r.id} (stages at the restart: ${[...stages].join(',')}): ${JSON.stringify(r.error)}`);
    const state = await emu.control.state();
    assert.equal(state.subnets.filter((s) => s.name === subnet.name).length, 1, 'one subnet for the shared name');
    for (const [i, s] of servers.entries()) {
      const ifs = await w.cloud.listServerInterfaces(s.id);
      assert.equal(ifs.interfaceAttachments.length, 1 + 3, `NICs of server ${i}: the primary and one per attachment`);
    }
    const ours = state.ports.filter((p) => p.name.startsWith('nicattach-'));
    assert.equal(ours.length, 12, 'one port per attachment');
    assert.deepEqual(ours.filter((p) => p.status === 'DOWN').map((p) => p.name), [], 'no port left DOWN');
  });
});
