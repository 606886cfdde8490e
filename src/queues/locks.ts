/**
 * Redis implementations of the workflow's Locks and Leases (src/workflow/deps.ts).
 * - A lock is `SET key token NX PX ttl`, released only by its token (a Lua compare-and-delete), so a lock that
 *   expired and was taken by someone else is never released by the first holder. While the work under it
 *   runs, it is renewed (compare-and-PEXPIRE) every ttl / 3: the work — a ListSubnets with its timeout and GET
 *   retries, then a CreateSubnet — can outlast one TTL, and a lock that lapsed mid-way would let a second
 *   worker create a duplicate. A renewal that finds the token gone marks the lock lost; `confirm()` asks Redis
 *   (and extends the lock) right before the guarded effect, so a lost lock is never acted on.
 * - A lease is the same with the owner (the attachment id) as the value: re-entrant (the owner re-acquires
 *   and extends it), renewable, released by its owner only.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Leases, Locks } from '../workflow/deps.js';
import { redisScript } from '../workflow/redis-script.js';

const RELEASE = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

const RENEW = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/** Returns '' when taken (or already ours, then extended), else the current holder. */
const ACQUIRE = redisScript(`
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ''
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return ''
end
return holder
`);

export function createRedisLocks(redis: Redis): Locks {
  return {
    async withLock(key, ttlMs, fn) {
      const token = randomUUID();
      const ttl = Math.max(1, Math.round(ttlMs));
      const ok = await redis.set(key, token, 'PX', ttl, 'NX');
      if (ok !== 'OK') return { acquired: false };
      let lost = false;
      const renew = async (): Promise<boolean> => {
        if (lost) return false;
        const ours = Number(await RENEW.run(redis, [key], [token, ttl])) === 1;
        if (!ours) lost = true;
        return ours;
      };
      // A renewal that errs (Redis unreachable) proves nothing either way: the next one, or confirm(), decides.
      const timer = setInterval(() => void renew().catch(() => undefined), Math.max(1, Math.floor(ttl / 3)));
      try {
        return { acquired: true, value: await fn({ confirm: renew }) };
      } finally {
        clearInterval(timer);
        await RELEASE.run(redis, [key], [token]);
      }
    },
  };
}

export function createRedisLeases(redis: Redis): Leases {
  return {
    async acquire(key, owner, ttlMs) {
      const holder = String(await ACQUIRE.run(redis, [key], [owner, Math.max(1, Math.round(ttlMs))]));
      return holder === '' ? { acquired: true } : { acquired: false, holder };
    },
    async renew(key, owner, ttlMs) {
      return Number(await RENEW.run(redis, [key], [owner, Math.max(1, Math.round(ttlMs))])) === 1;
    },
    async release(key, owner) {
      return Number(await RELEASE.run(redis, [key], [owner])) === 1;
    },
  };
}
