/**
 * Fan-out of completion events to webhook deliveries. Reads `<prefix>:events` as the consumer group
 * `webhooks` (created with the stream by the first event appended, so events appended before any dispatcher
 * ran are delivered too; ensureGroup() makes it at "$" only for a stream that exists without it),
 * and for each event creates one delivery per target — every enabled subscription whose filter matches, and
 * the callback_url of the attachment (terminal attachment events) or of the batch (batch.completed) — then
 * enqueues its job and XACKs the entry.
 *
 * Crash safety: an entry is acked only after its deliveries exist and are enqueued; entries left pending by a
 * dead dispatcher are taken over with XAUTOCLAIM after `claimIdleMs`. Handling an entry twice is harmless: the
 * delivery id (`${event_id}.${target}`) and the job id are deterministic.
 *
 * Trimming: the stream is capped (EVENTS_STREAM_MAXLEN, EVENTS_STREAM_MAX_AGE_HOURS). A dispatcher that falls
 * that far behind loses the oldest unread events; that cannot be undone here, but it is never silent: before each read, a group whose
 * last-delivered id is older than the stream's first entry while Redis counts more unread entries (lag) than
 * the stream still holds has lost the difference; and pending entries that XAUTOCLAIM reports as deleted are
 * lost too — both log EVENTS_TRIMMED_UNDELIVERED and call `onEventsLost`.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import { EVENTS_DISPATCH_GROUP, type Keys } from '../workflow/keys.js';
import type { AttachmentRecord, BatchSummary, CompletionEvent } from '../workflow/types.js';
import type { DeliveryStore, NewDelivery } from './deliveries.js';
import { blockingConnection, parseEntryFields } from './stream.js';
import type { SubscriptionStore } from './subscriptions.js';
import type { EnqueueDelivery } from './types.js';

/** The group this dispatcher reads as; the record scripts create it with the stream (src/workflow/keys.ts). */
export const DISPATCH_GROUP = EVENTS_DISPATCH_GROUP;
export const CALLBACK_TARGET = 'cb';

/** Event types that go to a callback_url (progress events go to subscriptions only). */
const CALLBACK_TYPES = new Set(['attachment.succeeded', 'attachment.failed', 'attachment.cancelled', 'batch.completed']);

export interface DispatcherDeps {
  redis: Redis;
  keys: Keys;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  enqueue: EnqueueDelivery;
  logger: Logger;
  group?: string;
  /** Unique per process by default. */
  consumer?: string;
  /** Pending entries idle this long belong to a dead dispatcher and are taken over. */
  claimIdleMs?: number;
  blockMs?: number;
  batchSize?: number;
  /** Told when events were trimmed from the stream before this group delivered them (see the header). */
  onEventsLost?: (loss: EventsLost) => void;
}

export interface EventsLost {
  /** `unread`: trimmed before any dispatcher read them; `pending`: read by a dispatcher that died, then trimmed. */
  kind: 'unread' | 'pending';
  /** Entries lost: exact for pending ones; for unread ones Redis' own count (lag), which a gap before can inflate. */
  count?: number;
  /** Stream ids: entries after `after` and before `before` are gone (unread); the last one gone (pending). */
  after?: string;
  before?: string;
  through?: string;
}

export interface Dispatcher {
  readonly consumer: string;
  /**
   * Create the consumer group if missing (at the stream's end). run() does it too; call it first to know that
   * every event added from now on will be dispatched.
   */
  ensureGroup(): Promise<void>;
  /** Runs until `signal` aborts; resolves once stopped. */
  run(signal: AbortSignal): Promise<void>;
}

type RawEntry = [id: string, fields: string[] | null];

/** Orders two stream ids (`ms-seq`). */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

/** A flat XINFO reply (`[k1, v1, k2, v2, …]`) as a map. */
function infoMap(flat: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

export function deliveryId(eventId: string, target: string): string {
  return `${eventId}.${target}`;
}

function callbackUrlOf(event: CompletionEvent): string | undefined {
  if (!CALLBACK_TYPES.has(event.type)) return undefined;
  const url = (event.data as Partial<AttachmentRecord> | Partial<BatchSummary>).callback_url;
  return typeof url === 'string' && url !== '' ? url : undefined;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { redis, keys } = deps;
  const group = deps.group ?? DISPATCH_GROUP;
  const consumer = deps.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const claimIdleMs = deps.claimIdleMs ?? 60_000;
  const blockMs = deps.blockMs ?? 2_000;
  const count = deps.batchSize ?? 50;
  const stream = keys.events();
  const log = deps.logger.child({ component: 'dispatcher', consumer });
  let reportedBefore = '0-0';

  const lost = (loss: EventsLost): void => {
    log.error({ code: 'EVENTS_TRIMMED_UNDELIVERED', ...loss }, 'events were trimmed from the stream before they were delivered; raise EVENTS_STREAM_MAXLEN (or EVENTS_STREAM_MAX_AGE_HOURS), or add events workers');
    deps.onEventsLost?.(loss);
  };

  /**
   * Have entries this group had not read yet been trimmed away? Only while the group is behind the first kept
   * entry can it tell (its next read jumps the gap); each gap is reported once, by its first kept entry.
   */
  const checkTrimmed = async (): Promise<void> => {
    const res = await redis.pipeline().xinfo('STREAM', stream).xinfo('GROUPS', stream).exec();
    const streamInfo = infoMap(res?.[0]?.[1]);
    const groups = Array.isArray(res?.[1]?.[1]) ? (res[1][1] as unknown[]).map(infoMap) : [];
    const g = groups.find((x) => x.name === group);
    const first = Array.isArray(streamInfo['first-entry']) ? streamInfo['first-entry'][0] : undefined;
    const lastDelivered = g?.['last-delivered-id'];
    const lag = g?.lag;
    const length = Number(streamInfo.length);
    // `lag` is null when Redis cannot tell (older Redis, or the counters are off): nothing is reported then.
    if (typeof first !== 'string' || typeof lastDelivered !== 'string' || typeof lag !== 'number') return;
    if (compareStreamIds(lastDelivered, first) >= 0 || lag <= length || compareStreamIds(first, reportedBefore) <= 0) return;
    reportedBefore = first;
    lost({ kind: 'unread', count: lag - length, after: lastDelivered, before: first });
  };

  const ensureGroup = async (): Promise<void> => {
    try {
      await redis.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('BUSYGROUP')) throw err;
    }
  };

  const dispatchEvent = async (event: CompletionEvent): Promise<number> => {
    const body = JSON.stringify(event);
    const targets: NewDelivery[] = [];
    for (const sub of await deps.subscriptions.matching(event.type)) {
      targets.push({ id: deliveryId(event.id, sub.id), event_id: event.id, event_type: event.type, target: 'subscription', subscription_id: sub.id, url: sub.url, payload: body });
    }
    const cb = callbackUrlOf(event);
    if (cb) targets.push({ id: deliveryId(event.id, CALLBACK_TARGET), event_id: event.id, event_type: event.type, target: 'callback', url: cb, payload: body });
    for (const t of targets) {
      const { delivery } = await deps.deliveries.create(t);
      // Enqueue again when it exists and is pending (a crash after create, before enqueue): the job id dedups.
      if (delivery.status === 'pending') await deps.enqueue(delivery.id, delivery.series);
    }
    return targets.length;
  };

  const handle = async (entries: readonly RawEntry[]): Promise<void> => {
    for (const [id, fields] of entries) {
      const event = fields ? parseEntryFields(fields) : undefined;
      if (event) {
        const n = await dispatchEvent(event);
        log.debug({ event_id: event.id, event_type: event.type, deliveries: n }, 'event dispatched');
      } else if (fields) {
        log.warn({ code: 'EVENT_MALFORMED', entry_id: id }, 'stream entry is not a completion event; skipped');
      }
      await redis.xack(stream, group, id);
    }
  };

  /** Take over entries a dead consumer left pending; forget consumers long gone with nothing pending. */
  const reclaim = async (): Promise<void> => {
    let start = '0-0';
    do {
      const res = (await redis.xautoclaim(stream, group, consumer, claimIdleMs, start, 'COUNT', count)) as [string, RawEntry[], string[]?];
      start = res[0];
      const claimed = res[1].filter((e) => e !== null);
      if (claimed.length > 0) log.info({ entries: claimed.length }, 'took over pending events of another dispatcher');
      await handle(claimed);
      // Redis 7 reports entries trimmed away while pending: nothing left to deliver; ack them, and say so.
      const deleted = res[2] ?? [];
      if (deleted.length > 0) {
        await redis.xack(stream, group, ...deleted);
        lost({ kind: 'pending', count: deleted.length, ...(deleted[0] ? { through: deleted[deleted.length - 1] } : {}) });
      }
    } while (start !== '0-0');
    const consumers = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[][];
    for (const c of consumers) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < c.length; i += 2) info[String(c[i])] = c[i + 1];
      if (info.name !== consumer && info.pending === 0 && Number(info.idle) > 24 * 3_600_000) {
        await redis.xgroup('DELCONSUMER', stream, group, String(info.name));
      }
    }
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return;
    // Blocking reads get their own connection, closed on abort so the wait ends at once.
    const { conn: blocking, release } = blockingConnection(redis, signal);
    let ownPending = true; // first read our own pending entries (a restart with the same consumer name)
    let lastClaim = 0;
    let failures = 0;
    let groupReady = false;
    try {
      while (!signal.aborted) {
        try {
          if (!groupReady) {
            await ensureGroup();
            groupReady = true;
          }
          if (Date.now() - lastClaim >= Math.min(claimIdleMs, 30_000)) {
            lastClaim = Date.now();
            await reclaim();
          }
          if (!ownPending) await checkTrimmed();
          const reply = (
            ownPending
              ? await redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '0')
              : await blocking.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, '>')
          ) as Array<[string, RawEntry[]]> | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (ownPending && entries.length === 0) ownPending = false;
          await handle(entries);
          failures = 0;
        } catch (err) {
          if (signal.aborted) break;
          failures++;
          const message = err instanceof Error ? err.message : String(err);
          // The stream or group was deleted under us (e.g. a FLUSHDB): recreate and carry on.
          if (message.includes('NOGROUP')) groupReady = false;
          log.error({ code: 'EVENT_DISPATCH_FAILED', error: message, failures }, 'event dispatch failed; retrying');
          ownPending = true;
          await delay(Math.min(200 * 2 ** Math.min(failures, 6), 10_000), undefined, { signal }).catch(() => undefined);
        }
      }
    } finally {
      release();
    }
  };

  return { consumer, ensureGroup, run };
}
