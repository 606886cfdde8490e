/**
 * The Lua scripts of the attachment record store. Each is one atomic step:
 * - PATCH: update a record that is not terminal (fields, updated_at, status index), optionally appending an
 *   `attachment.stage_completed` event;
 * - TERMINAL: THE terminal transition (finish and cancel): compare-and-set on the status (only a record that
 *   is not terminal yet, optionally only in given statuses/stages), apply fields, move the status index, set
 *   the retention TTL, append exactly one completion event, and count the item into its batch — appending
 *   `batch.completed` exactly once when the last item ends, whichever worker ends it.
 *
 * KEYS (both scripts): 1 record, 2 attachments index, 3 events stream, 4..8 status indexes (queued, running,
 * succeeded, failed, cancelled), 9 batch hash, 10 batch items (9 and 10 repeat KEYS[1] when there is no batch),
 * 11 the server's index (TERMINAL only).
 * The LAST ARGV of both scripts is the stream's age limit as a min id (epoch ms; '0' = no age limit): last, after
 * the field pairs, so the positions of every other argument stay as they were.
 * Events are built as JSON strings here (the record from its hash with the field-kind table) so the stream
 * entry and the stored record can never disagree.
 */
import { EVENTS_DISPATCH_GROUP } from './keys.js';
import { redisScript } from './redis-script.js';

const PRELUDE = `
local STATUSES = {'queued', 'running', 'succeeded', 'failed', 'cancelled'}
local function statusKey(s)
  for i, v in ipairs(STATUSES) do
    if v == s then return KEYS[3 + i] end
  end
  return nil
end
local function isTerminal(s)
  return s == 'succeeded' or s == 'failed' or s == 'cancelled'
end
local function enc(v) return cjson.encode(v) end
local function recordJson(kinds, extra)
  local flat = redis.call('HGETALL', KEYS[1])
  local parts = {}
  for i = 1, #flat, 2 do
    local f, v = flat[i], flat[i + 1]
    local k = kinds[f]
    if k == 'string' then
      parts[#parts + 1] = enc(f) .. ':' .. enc(v)
    elseif k ~= nil then
      parts[#parts + 1] = enc(f) .. ':' .. v
    end
  end
  if extra then parts[#parts + 1] = extra end
  return '{' .. table.concat(parts, ',') .. '}'
end
local function eventJson(id, typ, ts, data)
  return '{"id":' .. enc(id) .. ',"type":' .. enc(typ) .. ',"timestamp":' .. enc(ts) .. ',"data":' .. data .. '}'
end
-- Appends one event to the stream and trims it by length and by age. XADD takes one trim strategy, hence the
-- separate XTRIM MINID: ids below ARGV[#ARGV] (now - events.streamMaxAgeHours, from the caller's injectable
-- clock; '0' = off) go. Both trims are '~' (whole stream nodes only), so each call's work stays bounded by
-- Redis' default LIMIT even when a large backlog has aged out at once; an exact trim could remove it all in
-- one script and stall Redis.
-- The first append creates the stream with the webhook dispatcher's consumer group at its start, so events
-- appended before any dispatcher ran are delivered too (a group the dispatcher made later, at '$', would skip
-- them). One EXISTS per event; a group already there is never touched.
local function appendEvent(maxLen, json)
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('XGROUP', 'CREATE', KEYS[3], '${EVENTS_DISPATCH_GROUP}', '$', 'MKSTREAM') end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxLen, '*', 'event', json)
  local minId = ARGV[#ARGV]
  if minId ~= '0' then redis.call('XTRIM', KEYS[3], 'MINID', '~', minId) end
end
local function moveStatus(id, old, new)
  if old == new then return end
  local score = redis.call('ZSCORE', KEYS[2], id) or '0'
  local ok = statusKey(old)
  if ok then redis.call('ZREM', ok, id) end
  local nk = statusKey(new)
  if nk then redis.call('ZADD', nk, score, id) end
end
-- Applies "n, f1, v1, ..." starting at ARGV[from], then the pairs of \`after\` (they win over the same field),
-- in one HSET (one call instead of one per field: Redis CPU per attachment is what bounds a scaled-out
-- deployment); returns the new status when the pairs set one. A field named '+name' adds v to the number field
-- name (HINCRBY) instead of setting it: cloud_calls, counted with the write.
local function applyPairs(from, after)
  local n = tonumber(ARGV[from])
  local newStatus = nil
  local hset = {}
  for i = 0, n - 1 do
    local f, v = ARGV[from + 1 + 2 * i], ARGV[from + 2 + 2 * i]
    if string.sub(f, 1, 1) == '+' then
      redis.call('HINCRBY', KEYS[1], string.sub(f, 2), v)
    else
      hset[#hset + 1] = f
      hset[#hset + 1] = v
      if f == 'status' then newStatus = v end
    end
  end
  for i = 1, #after do hset[#hset + 1] = after[i] end
  if #hset > 0 then redis.call('HSET', KEYS[1], unpack(hset)) end
  return newStatus
end
`;

/**
 * ARGV: 1 now, 2 field kinds (JSON), 3 stage event id ('' = none), 4 completed stage, 5 stream max length,
 * 6 n, then n field/value pairs ('+field' = an increment), then the stream min id (see the header). Returns 1 applied,
 * 0 terminal (nothing changed), -1 no such record.
 * The stage event is appended only when the record is still at the completed stage before this write: two copies
 * of the same stage job running at once both write, but only the first (which moves the stage on) reports it.
 */
export const PATCH_SCRIPT = redisScript(`${PRELUDE}
local cur = redis.call('HMGET', KEYS[1], 'status', 'id', 'stage')
local old, id = cur[1], cur[2]
if not old then return -1 end
if isTerminal(old) then return 0 end
local newStatus = applyPairs(6, {'updated_at', ARGV[1]})
if newStatus and newStatus ~= old then moveStatus(id, old, newStatus) end
if ARGV[3] ~= '' and cur[3] == ARGV[4] then
  local kinds = cjson.decode(ARGV[2])
  local data = recordJson(kinds, '"completed_stage":' .. enc(ARGV[4]))
  appendEvent(ARGV[5], eventJson(ARGV[3], 'attachment.stage_completed', ARGV[1], data))
end
return 1
`);

/**
 * ARGV: 1 now, 2 field kinds (JSON), 3 terminal status, 4 event id, 5 batch event id, 6 stream max length,
 * 7 retention ms, 8 allowed current statuses (',queued,running,' or '' = any non-terminal), 9 allowed current
 * stages (same form), 10 index cutoff (epoch ms: entries created before it belong to records long expired and
 * are trimmed from the all/status/server indexes, so they do not grow forever), 11 n, then n field/value pairs
 * ('+field' = an increment, applied before the event is built), then the stream min id (see the header).
 * Returns {code, status, stage}: 1 done, 0 already terminal, 2 not allowed in this status/stage, -1 missing.
 */
export const TERMINAL_SCRIPT = redisScript(`${PRELUDE}
local cur = redis.call('HMGET', KEYS[1], 'status', 'stage', 'id', 'batch_id')
local old, id, batchId = cur[1], cur[3], cur[4]
if not old then return {-1, '', ''} end
local stage = cur[2] or ''
if isTerminal(old) then return {0, old, stage} end
if ARGV[8] ~= '' and not string.find(ARGV[8], ',' .. old .. ',', 1, true) then return {2, old, stage} end
if ARGV[9] ~= '' and not string.find(ARGV[9], ',' .. stage .. ',', 1, true) then return {2, old, stage} end
local now = ARGV[1]
local status = ARGV[3]
applyPairs(11, {'status', status, 'updated_at', now, 'finished_at', now})
moveStatus(id, old, status)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
local cutoff = '(' .. ARGV[10]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
redis.call('ZREMRANGEBYSCORE', statusKey(status), '-inf', cutoff)
if KEYS[11] ~= KEYS[1] then redis.call('ZREMRANGEBYSCORE', KEYS[11], '-inf', cutoff) end
local kinds = cjson.decode(ARGV[2])
appendEvent(ARGV[6], eventJson(ARGV[4], 'attachment.' .. status, now, recordJson(kinds, nil)))
if batchId and KEYS[9] ~= KEYS[1] and redis.call('EXISTS', KEYS[9]) == 1 then
  local done = redis.call('HINCRBY', KEYS[9], 'done', 1)
  redis.call('HINCRBY', KEYS[9], 'count_' .. status, 1)
  local total = tonumber(redis.call('HGET', KEYS[9], 'total') or '0')
  if done >= total and redis.call('HSETNX', KEYS[9], 'finished_at', now) == 1 then
    local b = redis.call('HMGET', KEYS[9], 'created_at', 'callback_url', 'metadata', 'count_succeeded', 'count_failed', 'count_cancelled')
    local summary = '{"id":' .. enc(batchId) .. ',"total":' .. total
      .. ',"counts":{"queued":0,"running":0,"succeeded":' .. (b[4] or '0') .. ',"failed":' .. (b[5] or '0')
      .. ',"cancelled":' .. (b[6] or '0') .. '},"created_at":' .. enc(b[1] or '') .. ',"finished_at":' .. enc(now)
    if b[2] then summary = summary .. ',"callback_url":' .. enc(b[2]) end
    if b[3] then summary = summary .. ',"metadata":' .. b[3] end
    summary = summary .. '}'
    appendEvent(ARGV[6], eventJson(ARGV[5], 'batch.completed', now, summary))
    redis.call('PEXPIRE', KEYS[9], ARGV[7])
    redis.call('PEXPIRE', KEYS[10], ARGV[7])
  end
end
return {1, status, stage}
`);

/**
 * Writes the cleanup result (allowed on terminal records: cleanup runs after the end) without touching the
 * TTL. KEYS: 1 record. ARGV: 1 now, 2 cleanup JSON. Returns 1, or -1 when the record is gone.
 */
export const CLEANUP_SCRIPT = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'cleanup', ARGV[2], 'updated_at', ARGV[1])
return 1
`);

/** Adds to a number field of an existing record (cloud_calls). KEYS: 1 record. ARGV: 1 field, 2 increment. */
export const INCR_SCRIPT = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
`);
