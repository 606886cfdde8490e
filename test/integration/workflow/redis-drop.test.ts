/**
 * Redis connections dropped under the workers (CLIENT KILL TYPE normal on a private redis-server, while
 * stages are in flight): ioredis reconnects, BullMQ resumes, and every attachment still ends succeeded with
 * one NIC each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { startPrivateRedis, type PrivateRedis } from '../../helpers/redis.js';
import { waitUntil } from '../../../src/lib/wait.js';
import type { ServerDetail } from '../../../src/cloud/types.js';

describe('Redis connections dropped under the workers', () => {
  let emu: TestEmulator;
  let redisServer: PrivateRedis;
  let w: TestWorkers;
  let killer: Redis;

  before(async () => {
    redisServer = await startPrivateRedis({ appendonly: false });
    emu = await startTestEmulator({ timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 200, max: 500 } }, faults: { latency_ms: 10 } });
    w = await startTestWorkers({ emulator: emu, redisUrl: redisServer.url, overrides: { workers: { lockDurationMs: 2000, stalledIntervalMs: 500 } } });
    killer = new Redis(redisServer.url);
    killer.on('error', () => undefined);
  });
  after(async () => {
    killer?.disconnect();
    await w?.stop();
    await emu?.stop();
    await redisServer?.dispose();
  });

  it('recovers and finishes every attachment', async () => {
    const first = await emu.control.createServer();
    const servers: ServerDetail[] = [first];
    for (let i = 1; i < 4; i += 1) servers.push(await emu.control.createServer({ vpc_id: first.metadata.vpc_id as string }));
    const ids = await w.submit(Array.from({ length: 8 }, (_, i) => ({ server_id: (servers[i % 4] as ServerDetail).id })));

    let kills = 0;
    for (const stage of ['port', 'poll'] as const) {
      await waitUntil(async () => ((await w.store.getMany(ids)).some((r) => r?.stage === stage) ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 10,
        what: `an attachment at stage ${stage}`,
      });
      kills += Number(await killer.client('KILL', 'TYPE', 'normal'));
    }
    assert.ok(kills >= 4, `connections killed: ${kills}`);

    const records = await w.waitForAllTerminal(ids, 60_000);
    for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
    for (const [i, s] of servers.entries()) {
      const ifs = await w.cloud.listServerInterfaces(s.id);
      assert.equal(ifs.interfaceAttachments.length, 3, `NICs of server ${i}`);
    }
    const ours = (await emu.control.state()).ports.filter((p) => p.name.startsWith('nicattach-'));
    assert.equal(ours.length, 8);
    assert.ok(ours.every((p) => p.device_id !== ''));
  });
});
