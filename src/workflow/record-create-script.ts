/**
 * The write of new attachment records (a batch's, or a single one): their hashes, their index entries and the
 * batch hash, as ONE Lua script — atomic like the MULTI it replaces (no reader sees part of a batch), but one
 * command on the wire instead of ~2,000 (one HSET per record, one ZADD per index). ioredis builds, queues and
 * answers every command of a MULTI one by one: that was most of the client CPU of a 1,000-item batch. What the
 * records of a batch share (status, stage, batch id, timestamps, …) is sent once, and so is the score of their
 * index entries. The script unpacks its arguments straight into HSET/ZADD calls (no Lua table per record): its
 * Redis time is about the MULTI's.
 *
 * KEYS: the hashes to write (records first, then the batch hash), then the sorted sets to add to. Every key is
 * passed, so the script stays legal on Redis Cluster with a hash-tag prefix.
 * ARGV: the number of hashes; how many of them (the first) are records; the pairs every record shares (count,
 * then `field, value, …`); per hash its own pairs (count, then `field, value, …`); per sorted set its member
 * count, the score they share, then the members (a key comes once per score: once for a batch).
 * All or nothing: the script checks every key's type before its first write and the client checks the scores,
 * so the errors a write could meet refuse it whole (a MULTI would have applied the commands around a failing
 * one); an out-of-memory Redis refuses its first write, hence all of it.
 * Once only: when a record (or the batch) hash exists already, nothing is written and the script answers 0 (it
 * answers the number of hashes written otherwise) — the same write arriving twice (resent by ioredis after a
 * reconnect, or a producer's timed-out write landing after a retry completed its Idempotency-Key claim) never
 * rewrites a record a worker has moved on.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { encodeFields } from './record-codec.js';
import type { AttachmentRecord } from './types.js';

/** Values per HSET/ZADD call: Lua's unpack() refuses much more than ~8,000. Even, so pairs stay whole. */
const UNPACK_CHUNK = 4000;

const LUA = `
local function apply(cmd, key, from, last)
  while from <= last do
    local to = math.min(from + ${UNPACK_CHUNK - 1}, last)
    redis.call(cmd, key, unpack(ARGV, from, to))
    from = to + 1
  end
end
local hashes, records = tonumber(ARGV[1]), tonumber(ARGV[2])
local first = 4 + 2 * tonumber(ARGV[3])
-- Check first, write after: the one error a write could meet here, a key of another type, refuses the whole
-- script before anything is written (the client checked the scores), so a failed write leaves nothing behind.
-- One EXISTS per ${UNPACK_CHUNK} keys finds that none exists (a new batch's records, new servers); only keys
-- of a range where some exist are looked at one by one.
local function wrongType(from, last, want)
  for c = from, last, ${UNPACK_CHUNK} do
    local to = math.min(c + ${UNPACK_CHUNK - 1}, last)
    if redis.call('EXISTS', unpack(KEYS, c, to)) > 0 then
      for k = c, to do
        local kind = redis.call('TYPE', KEYS[k])['ok']
        if kind ~= 'none' and kind ~= want then return KEYS[k] .. ' holds a ' .. kind end
      end
    end
  end
  return nil
end
local wrong = wrongType(1, hashes, 'hash') or wrongType(hashes + 1, #KEYS, 'zset')
if wrong then return redis.error_reply('WRONGTYPE ' .. wrong .. ': no record written') end
-- Create only: the hashes are new records (and a new batch) under new or Idempotency-Key-claimed ids, so one
-- that exists means this same write has landed already — a copy ioredis resent after a reconnect, or a retry
-- that completed a claim while the first write was still on its way. Writing again would put back the
-- queued/network state of a record a worker has moved on since: nothing is written, the answer is 0.
for c = 1, hashes, ${UNPACK_CHUNK} do
  if redis.call('EXISTS', unpack(KEYS, c, math.min(c + ${UNPACK_CHUNK - 1}, hashes))) > 0 then return 0 end
end
local i = first
for k = 1, hashes do
  local n = tonumber(ARGV[i])
  -- A record's own pairs first: its request (longer than Redis' listpack limit) makes the hash a hashtable at
  -- once, instead of a listpack converted when it arrives.
  apply('HSET', KEYS[k], i + 1, i + 2 * n)
  if k <= records then apply('HSET', KEYS[k], 4, first - 1) end
  i = i + 1 + 2 * n
end
for k = hashes + 1, #KEYS do
  local n, score = tonumber(ARGV[i]), ARGV[i + 1]
  local last = i + 1 + n
  if n == 1 then
    redis.call('ZADD', KEYS[k], score, ARGV[last])
  else
    for from = i + 2, last, ${UNPACK_CHUNK / 2} do
      local t = {}
      for j = from, math.min(from + ${UNPACK_CHUNK / 2 - 1}, last) do
        t[#t + 1] = score
        t[#t + 1] = ARGV[j]
      end
      redis.call('ZADD', KEYS[k], unpack(t))
    end
  end
  i = last + 1
end
return hashes
`;

export interface CreateRecordsWrite {
  /** The hashes, then the sorted sets. */
  keys: string[];
  args: string[];
}

/** The batch hash written with the records. */
export interface BatchHash {
  key: string;
  fields: Record<string, string>;
}

/** The fields every one of `hashes` has with the same value. */
function sharedFields(hashes: ReadonlyArray<Record<string, string>>): Record<string, string> {
  const shared: Record<string, string> = { ...hashes[0] };
  for (let h = 1; h < hashes.length; h += 1) {
    const hash = hashes[h] as Record<string, string>;
    for (const name in shared) if (hash[name] !== shared[name]) delete shared[name];
  }
  return shared;
}

/**
 * The write of new records, their index entries (all, by status, by server, by batch; scored by creation time) and
 * the batch hash.
 */
export function createRecordsWrite(keys: Keys, records: readonly AttachmentRecord[], batch?: BatchHash): CreateRecordsWrite {
  const hashes = records.map((r) => encodeFields(r.stages ? r : { ...r, stages: {} }));
  const shared = sharedFields(hashes);
  const args: string[] = [String(records.length + (batch ? 1 : 0)), String(records.length), '0'];
  let sharedCount = 0;
  for (const name in shared) {
    args.push(name, shared[name] as string);
    sharedCount += 1;
  }
  args[2] = String(sharedCount);
  const pushOwn = (fields: Record<string, string>, skip: Record<string, string>): void => {
    const at = args.length;
    args.push('0');
    let n = 0;
    for (const name in fields) {
      if (name in skip) continue;
      args.push(name, fields[name] as string);
      n += 1;
    }
    args[at] = String(n);
  };
  const hashKeys: string[] = [];
  records.forEach((r, i) => {
    hashKeys.push(keys.attachment(r.id));
    pushOwn(hashes[i] as Record<string, string>, shared);
  });
  if (batch) {
    hashKeys.push(batch.key);
    pushOwn(batch.fields, {});
  }
  // One entry per (index, score): the items of a batch are created at the same instant, so one per index.
  const entries = new Map<string, { key: string; score: string; members: string[] }>();
  const index = (key: string, score: string, id: string): void => {
    const at = `${score} ${key}`;
    const entry = entries.get(at);
    if (entry) entry.members.push(id);
    else entries.set(at, { key, score, members: [id] });
  };
  for (const r of records) {
    const ms = Date.parse(r.created_at);
    // A score Redis would refuse must not reach the script: it could only fail after writing the hashes.
    if (!Number.isFinite(ms)) throw new TypeError(`record ${r.id} has no valid created_at (${r.created_at})`);
    const score = String(ms);
    index(keys.attachmentsIndex(), score, r.id);
    index(keys.byStatus(r.status), score, r.id);
    index(keys.byServer(r.server_id), score, r.id);
    if (r.batch_id) index(keys.batchItems(r.batch_id), score, r.id);
  }
  const zsetKeys: string[] = [];
  for (const { key, score, members } of entries.values()) {
    zsetKeys.push(key);
    args.push(String(members.length), score);
    for (const m of members) args.push(m);
  }
  return { keys: hashKeys.concat(zsetKeys), args };
}

/**
 * Send the write and return its reply. It is handed to the connection before this returns (no await before the
 * send), and ioredis keeps one connection's commands in order, so a caller may send commands that depend on the
 * records right behind it: Redis runs them after the records exist. That is why this is EVAL with the script's
 * text (~1 KB) and never EVALSHA: an EVALSHA refused with NOSCRIPT would be re-sent after the commands behind it.
 * Keys and arguments go to ioredis as arrays, not spread into the call: a large batch has more arguments than a
 * spread call can carry.
 */
export function sendCreateRecords(redis: Redis, write: CreateRecordsWrite): Promise<unknown> {
  return redis.call('eval', [LUA, String(write.keys.length)].concat(write.keys, write.args));
}
