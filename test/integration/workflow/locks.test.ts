/**
 * The find-or-create lock (src/queues/locks.ts) is renewed while the work under it runs and confirmed right
 * before the POST: with a lock TTL far below the time ListSubnets + CreateSubnet take (emulator latency), many
 * attachments naming one new subnet still make exactly one; a lock lost mid-way posts nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { waitUntil } from '../../../src/lib/wait.js';
import { createRedisLocks } from '../../../src/queues/locks.js';
import { runSubnetStage, subnetLockKey } from '../../../src/workflow/stages/subnet.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { startTestWorkers, type TestWorkers } from '../../helpers/workers.js';
import { realStageDeps, storedRecord } from './stage-runs.js';

describe('find-or-create lock: renewal and ownership', () => {
  let redis: Redis;
  before(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  after(async () => {
    await redis.quit();
  });

  it('stays held past its TTL while the work runs (nobody else gets it), and is released after', async () => {
    const locks = createRedisLocks(redis);
    const key = `${freshPrefix('lock')}:lock:subnet:k`;
    const ttl = 120;
    const started = Date.now();
    const res = await locks.withLock(key, ttl, async (held) => {
      let competitorTries = 0;
      // Work that lasts four TTLs: a competitor keeps trying all along and never gets the lock.
      await waitUntil(
        async () => {
          const other = await locks.withLock(key, ttl, async () => 'stolen');
          assert.equal(other.acquired, false, `taken by another holder ${Date.now() - started} ms in`);
          competitorTries += 1;
          return Date.now() - started > 4 * ttl ? true : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 20, what: 'four lock TTLs to pass' },
      );
      assert.ok(competitorTries > 4);
      return held.confirm();
    });
    assert.deepEqual(res, { acquired: true, value: true });
    assert.equal(await redis.exists(key), 0, 'released');
  });

  it('a lock taken over by someone else is reported lost, neither renewed nor released', async () => {
    const locks = createRedisLocks(redis);
    const key = `${freshPrefix('lock')}:lock:subnet:k`;
    const res = await locks.withLock(key, 5_000, async (held) => {
      assert.equal(await held.confirm(), true);
      await redis.set(key, 'someone-else', 'PX', 5_000); // it expired and another worker took it
      return held.confirm();
    });
    assert.deepEqual(res, { acquired: true, value: false });
    assert.equal(await redis.get(key), 'someone-else');
    await redis.del(key);
  });
});

describe('subnet stage under a short lock TTL and a slow cloud', () => {
  let emu: TestEmulator;
  let w: TestWorkers;

  before(async () => {
    emu = await startTestEmulator();
    w = await startTestWorkers({ emulator: emu, overrides: { workflow: { lockTtlMs: 150 } } });
  });
  after(async () => {
    await emu?.control.configure({ faults: { latency_ms: 0 } });
    await w?.stop();
    await emu?.stop();
  });

  it('three attachments naming one new subnet make exactly one, though every call takes longer than the lock TTL', async () => {
    const first = await emu.control.createServer();
    const vpcId = first.metadata.vpc_id as string;
    const servers = [first, await emu.control.createServer({ vpc_id: vpcId }), await emu.control.createServer({ vpc_id: vpcId })];
    const before = (await emu.control.state()).calls.CreateSubnet ?? 0;
    await emu.control.configure({ faults: { latency_ms: 500 } });
    let records;
    try {
      const ids = await w.submit(servers.map((s) => ({ server_id: s.id, subnet: { name: 'sn-slow', cidr: '192.168.70.0/24' } })));
      records = await w.waitForAllTerminal(ids, 30_000);
    } finally {
      await emu.control.configure({ faults: { latency_ms: 0 } });
    }
    for (const r of records) assert.equal(r.status, 'succeeded', `${r.id}: ${JSON.stringify(r.error)}`);
    const state = await emu.control.state();
    assert.equal(state.subnets.filter((s) => s.name === 'sn-slow').length, 1, 'one subnet');
    assert.equal((state.calls.CreateSubnet ?? 0) - before, 1, 'one CreateSubnet');
    assert.equal(records.filter((r) => r.created_subnet).length, 1);
  });

  it('a lock lost while ListSubnets runs: no CreateSubnet is posted, the marker is emptied, the stage waits', async () => {
    const server = await emu.control.createServer();
    const vpcId = server.metadata.vpc_id as string;
    const spec = { name: 'sn-lost-lock', cidr: '192.168.71.0/24' };
    const rec = await storedRecord(w, { server_id: server.id, subnet: spec }, { stage: 'subnet', vpc_id: vpcId, server_vpc_id: vpcId });
    const lockKey = w.keys.createLock('subnet', subnetLockKey(vpcId, spec));
    const before = (await emu.control.state()).calls;
    await emu.control.configure({ faults: { latency_ms: 400 } });
    try {
      const run = runSubnetStage(rec, realStageDeps(w));
      // While ListSubnets is on its way, the lock passes to another holder (as if it had expired).
      await waitUntil(async () => ((await w.redis.get(lockKey)) ? true : undefined), { timeoutMs: 2_000, intervalMs: 5, what: 'the lock to be taken' });
      await w.redis.set(lockKey, 'another-worker', 'PX', 10_000);
      const outcome = await run;
      assert.equal(outcome.kind, 'wait', JSON.stringify(outcome));
    } finally {
      await emu.control.configure({ faults: { latency_ms: 0 } });
      await w.redis.del(lockKey);
    }
    const after = (await emu.control.state()).calls;
    assert.equal((after.ListSubnets ?? 0) - (before.ListSubnets ?? 0), 1);
    assert.equal((after.CreateSubnet ?? 0) - (before.CreateSubnet ?? 0), 0, 'nothing posted');
    assert.equal((await w.store.get(rec.id))?.subnet_create_requested_at, '', 'marker emptied');
  });
});
