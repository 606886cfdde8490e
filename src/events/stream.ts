/**
 * Reading the completion events stream `<prefix>:events` (written only by the workflow's record store, in the
 * same Lua script as the terminal status change). Each entry has one field, `event`, holding the JSON of a
 * CompletionEvent. The cursor of an event is its stream entry id ("1712345678901-0"): pass it back as `after`
 * to continue from there. `$` as `after` means "now" (as in XREAD): no events, and the cursor of the last entry,
 * so a reader (the CLI `watch`) starts from the server's stream instead of its own clock. Entries trimmed away
 * (MAXLEN ~ events.streamMaxLen, MINID ~ now - events.streamMaxAgeHours) are gone.
 */
import type { Redis } from 'ioredis';
import { ValidationError } from '../lib/errors.js';
import type { Keys } from '../workflow/keys.js';
import type { CompletionEvent } from '../workflow/types.js';

export const EVENT_FIELD = 'event';
const CURSOR_RE = /^\d{1,20}-\d{1,20}$/;
/** `after` value meaning "from now on" (XREAD's `$`). */
export const LATEST = '$';

export interface StreamEvent {
  cursor: string;
  event: CompletionEvent;
}

export function assertCursor(cursor: string): void {
  if (!CURSOR_RE.test(cursor)) {
    throw new ValidationError(`cursor "${cursor}" is not an event cursor (a stream id like 1712345678901-0)`, { cursor }, 'INVALID_CURSOR');
  }
}

/** The CompletionEvent of one stream entry's field list, or undefined when the entry is not one of ours. */
export function parseEntryFields(fields: readonly string[]): CompletionEvent | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== EVENT_FIELD) continue;
    try {
      const parsed = JSON.parse(fields[i + 1] ?? '') as Partial<CompletionEvent> | null;
      if (parsed && typeof parsed.id === 'string' && typeof parsed.type === 'string') return parsed as CompletionEvent;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

type RawEntry = [id: string, fields: string[]];

function toStreamEvents(entries: readonly RawEntry[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (const [id, fields] of entries) {
    const event = parseEntryFields(fields);
    if (event) out.push({ cursor: id, event });
  }
  return out;
}

/** An event read from the stream with its own cursor: resuming after it continues right behind it. */
export type CursoredEvent = CompletionEvent & { cursor: string };

export interface ReadEventsResult {
  events: CursoredEvent[];
  /** The cursor to pass as `after` next time: the id of the last entry read, or `after` when none was. */
  next_cursor: string | null;
}

/**
 * One page of events strictly after `after` (from the oldest kept one when absent), oldest first. `after` = `$`
 * (LATEST): no events, and as next_cursor the id of the last entry ('0-0' when the stream is empty).
 */
export async function readEvents(redis: Redis, keys: Keys, opts: { after?: string; limit: number }): Promise<ReadEventsResult> {
  if (opts.after === LATEST) {
    const last = (await redis.xrevrange(keys.events(), '+', '-', 'COUNT', 1)) as RawEntry[];
    return { events: [], next_cursor: last[0]?.[0] ?? '0-0' };
  }
  if (opts.after !== undefined) assertCursor(opts.after);
  const start = opts.after === undefined ? '-' : `(${opts.after}`;
  const entries = (await redis.xrange(keys.events(), start, '+', 'COUNT', opts.limit)) as RawEntry[];
  const last = entries[entries.length - 1];
  return {
    events: toStreamEvents(entries).map((e) => ({ ...e.event, cursor: e.cursor })),
    next_cursor: last ? last[0] : (opts.after ?? null),
  };
}

export interface FollowOptions {
  /** Start after this cursor; default: only events added from now on ("$"). */
  after?: string;
  signal: AbortSignal;
  /** Longest XREAD BLOCK, in ms (the loop also wakes on abort). */
  blockMs?: number;
  count?: number;
}

/**
 * A duplicate connection for blocking reads (XREAD / XREADGROUP … BLOCK), disconnected as soon as `signal` aborts
 * so that a wait in progress ends at once. Call `release()` in a `finally`: it removes the abort listener and
 * disconnects (once, whichever comes first).
 */
export function blockingConnection(redis: Redis, signal: AbortSignal): { conn: Redis; release(): void } {
  const conn = redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
  // Disconnect once: a second disconnect() of a closed ioredis connection leaves a 2 s timer behind.
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    conn.disconnect();
  };
  signal.addEventListener('abort', close, { once: true });
  return {
    conn,
    release: () => {
      signal.removeEventListener('abort', close);
      close();
    },
  };
}

/**
 * Follow the stream live (the CLI `watch`, tests): yields events as they are added, in order, until `signal`
 * aborts. Blocks on its own duplicate connection, which is closed on abort so the wait ends at once.
 */
export async function* followEvents(redis: Redis, keys: Keys, opts: FollowOptions): AsyncGenerator<StreamEvent> {
  if (opts.after !== undefined) assertCursor(opts.after);
  if (opts.signal.aborted) return;
  const { conn, release } = blockingConnection(redis, opts.signal);
  let cursor = opts.after ?? '$';
  try {
    if (cursor === '$') {
      // Pin "$" to the current last id now, so events added between two XREADs are not skipped. (On the
      // caller's connection: the blocking one may be closed by an abort at any moment.)
      const info = (await redis.xrevrange(keys.events(), '+', '-', 'COUNT', 1)) as RawEntry[];
      cursor = info[0]?.[0] ?? '0-0';
    }
    while (!opts.signal.aborted) {
      let reply: Array<[string, RawEntry[]]> | null;
      try {
        reply = (await conn.xread('COUNT', opts.count ?? 100, 'BLOCK', opts.blockMs ?? 5000, 'STREAMS', keys.events(), cursor)) as Array<[string, RawEntry[]]> | null;
      } catch (err) {
        if (opts.signal.aborted) return;
        throw err;
      }
      const entries = reply?.[0]?.[1] ?? [];
      for (const e of toStreamEvents(entries)) {
        if (opts.signal.aborted) return;
        yield e;
      }
      const last = entries[entries.length - 1];
      if (last) cursor = last[0];
    }
  } finally {
    release();
  }
}
