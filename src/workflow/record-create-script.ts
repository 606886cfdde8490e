/**
 * The write of new attachment records (a batch's, or a single one): their hashes, their index entries and the
 * batch hash, as ONE Lua script — atomic like the MULTI it replaces (no reader sees part of a batch), but one
 * command on the wire instead of ~2,000 (one HSET per record, one ZADD per index key). ioredis builds, queues and
 * answers every command of a MULTI one by one: that was most of the client CPU of a 1,000-item batch.
 *
 * KEYS: the hashes to write, then the sorted sets to add to (every key is passed, so the script stays legal on
 * Redis Cluster with a hash-tag prefix).
 * ARGV: the number of hashes; then per hash its pair count and `field, value, …`; then per sorted set its member
 * count and `score, member, …`.
 * A runtime error (a key of the wrong type) stops the script where it is, as a failing command of a MULTI would.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Values per HSET/ZADD call: Lua's unpack() refuses much more than ~8,000. Even, so score/member pairs stay whole. */
const UNPACK_CHUNK = 4000;

const LUA = `
local function apply(cmd, key, from, last)
  while from <= last do
    local to = math.min(from + ${UNPACK_CHUNK - 1}, last)
    redis.call(cmd, key, unpack(ARGV, from, to))
    from = to + 1
  end
end
local hashes = tonumber(ARGV[1])
local i = 2
for k = 1, #KEYS do
  local n = tonumber(ARGV[i])
  apply(k <= hashes and 'HSET' or 'ZADD', KEYS[k], i + 1, i + 2 * n)
  i = i + 1 + 2 * n
end
return hashes
`;
const SHA = createHash('sha1').update(LUA).digest('hex');

export interface CreateRecordsWrite {
  /** The hashes, then the sorted sets. */
  keys: string[];
  args: Array<string | number>;
}

/**
 * Run the write (EVALSHA; EVAL once after a Redis restart forgot the script). Keys and arguments go to ioredis as
 * arrays, not spread into the call: a large batch has ~30 arguments per item, past what a spread call can carry.
 */
export async function runCreateRecords(redis: Redis, write: CreateRecordsWrite): Promise<void> {
  const argv = (script: string): Array<string | number> => ([script, write.keys.length] as Array<string | number>).concat(write.keys, write.args);
  try {
    await redis.call('evalsha', argv(SHA));
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
    await redis.call('eval', argv(LUA));
  }
}
