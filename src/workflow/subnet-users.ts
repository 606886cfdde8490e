/**
 * The attachments that resolved a subnet and may still put a port in it: one Redis set per subnet
 * (keys.subnetUsers(subnetId)), so that cleanup (with workflow.cleanupDeleteNetworks) does not delete a subnet
 * it created from under a sibling attachment that found that subnet but has not made its port yet — "no port
 * in the subnet" alone would call it unused.
 * - add: the subnet stage, when it records the subnet id. For a named subnet this happens inside the
 *   subnet's create lock, which cleanup also takes to delete it: either the cleanup sees the sibling, or it
 *   deleted the subnet before the sibling looked (which then finds none and creates it again).
 * - remove: when the attachment ends (the stage worker after `succeeded`; cleanup for its own attachment).
 * - liveOthers: members whose record is gone or ended do not count, so a removal lost to a crash never keeps
 *   a subnet for ever; the set itself expires 7 days after its last add. An attachment lives minutes, but a
 *   sibling can sit between its subnet and port stages for as long as the workers are down: a set that expired
 *   under it would let the creator's cleanup delete its subnet, so the expiry is far past any such outage.
 * - claimCreated: who created the subnet (keys.subnetCreator), so that of two attachments that both posted
 *   CreateSubnet for it — one whose outcome was unknown, one that then made it — only the maker records
 *   `created_subnet`.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { redisScript } from './redis-script.js';
import { TERMINAL_STATUSES, type AttachmentStatus } from './types.js';

/** How long a set lives after its last add. */
export const SUBNET_USERS_TTL_MS = 7 * 86_400_000;

export interface SubnetUsers {
  add(subnetId: string, attachmentId: string): Promise<void>;
  remove(subnetId: string, attachmentId: string): Promise<void>;
  /** The other attachments in the set whose records still exist and have not ended. */
  liveOthers(subnetId: string, attachmentId: string): Promise<string[]>;
  /** Forget the set (the subnet was deleted). */
  drop(subnetId: string): Promise<void>;
  /**
   * Records that `attachmentId` created the subnet; true when it is (now) the recorded creator. `certain`: the
   * create's success answer was seen, so the record is written whatever it held. Not certain: the attachment
   * found the subnet after a CreateSubnet whose outcome it never learnt (a lost answer, a 5xx); it is the
   * creator only if nobody is recorded yet — whoever saw a success answer for it recorded it right away, under
   * the create lock. Kept whatever `track` says: `created_subnet` is part of every record.
   */
  claimCreated(subnetId: string, attachmentId: string, opts: { certain: boolean }): Promise<boolean>;
}

/** SADD and PEXPIRE in one command. KEYS: 1 set. ARGV: 1 member, 2 ttl ms. */
const ADD = redisScript(`
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/**
 * `track` is config.workflow.cleanupDeleteNetworks: only a cleanup that deletes subnets reads the sets, so with
 * it off (the default) add/remove write nothing and every attachment is spared two Redis round trips.
 */
export function createSubnetUsers(options: { track: boolean }, deps: { redis: Redis; keys: Keys }): SubnetUsers {
  const { redis, keys } = deps;
  return {
    async add(subnetId, attachmentId) {
      if (options.track) await ADD.run(redis, [keys.subnetUsers(subnetId)], [attachmentId, SUBNET_USERS_TTL_MS]);
    },
    async remove(subnetId, attachmentId) {
      if (options.track) await redis.srem(keys.subnetUsers(subnetId), attachmentId);
    },
    async liveOthers(subnetId, attachmentId) {
      const others = (await redis.smembers(keys.subnetUsers(subnetId))).filter((id) => id !== attachmentId);
      const statuses = await Promise.all(others.map((id) => redis.hget(keys.attachment(id), 'status')));
      return others.filter((_, i) => {
        const status = statuses[i];
        return typeof status === 'string' && !TERMINAL_STATUSES.includes(status as AttachmentStatus);
      });
    },
    async drop(subnetId) {
      await redis.del(keys.subnetUsers(subnetId), keys.subnetCreator(subnetId));
    },
    async claimCreated(subnetId, attachmentId, opts) {
      const key = keys.subnetCreator(subnetId);
      if (opts.certain) {
        await redis.set(key, attachmentId, 'PX', SUBNET_USERS_TTL_MS);
        return true;
      }
      if ((await redis.set(key, attachmentId, 'PX', SUBNET_USERS_TTL_MS, 'NX')) === 'OK') return true;
      return (await redis.get(key)) === attachmentId;
    },
  };
}
