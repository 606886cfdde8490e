/**
 * The events stream as other services read it: XREAD on `<prefix>:events`, GET /v1/events with a cursor, and
 * followEvents (the CLI `watch`). Events are appended in the record store's format.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { followEvents, readEvents, type StreamEvent } from '../../../src/events/stream.js';
import type { CompletionEvent } from '../../../src/workflow/types.js';
import { attachmentEvent, startHarness, type Harness } from './harness.js';

interface Page {
  events: Array<CompletionEvent & { cursor: string }>;
  next_cursor: string | null;
}

/** The events of a page without their cursors (what was appended), and the cursors alone. */
const bare = (events: Page['events']): CompletionEvent[] => events.map(({ cursor: _cursor, ...e }) => e);
const cursors = (events: Page['events']): string[] => events.map((e) => e.cursor);

describe('events stream', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ startRole: false });
  });
  after(async () => {
    await h.close();
  });

  it('is readable with XREAD and page by page through GET /v1/events, in order', async () => {
    const empty = await h.api<Page>('GET', '/v1/events');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body, { events: [], next_cursor: null });

    const events = Array.from({ length: 5 }, (_, i) => attachmentEvent(i % 2 === 0 ? 'attachment.succeeded' : 'attachment.failed'));
    const ids: string[] = [];
    for (const e of events) ids.push(await h.addEvent(e));

    // What another service sees with plain XREAD.
    const raw = (await h.redis.xread('COUNT', 100, 'STREAMS', h.keys.events(), '0')) as Array<[string, Array<[string, string[]]>]>;
    const entries = raw[0]![1];
    assert.deepEqual(
      entries.map(([id]) => id),
      ids,
    );
    assert.deepEqual(
      entries.map(([, fields]) => JSON.parse(fields[1]!) as CompletionEvent),
      events,
    );
    assert.equal(entries[0]![1][0], 'event');

    const p1 = await h.api<Page>('GET', '/v1/events?limit=2');
    assert.deepEqual(bare(p1.body.events), events.slice(0, 2));
    assert.deepEqual(cursors(p1.body.events), ids.slice(0, 2), 'each event carries its own stream id');
    assert.equal(p1.body.next_cursor, ids[1]);
    const p2 = await h.api<Page>('GET', `/v1/events?limit=2&after=${p1.body.next_cursor}`);
    assert.deepEqual(bare(p2.body.events), events.slice(2, 4));
    const p3 = await h.api<Page>('GET', `/v1/events?limit=2&after=${p2.body.next_cursor}`);
    assert.deepEqual(bare(p3.body.events), events.slice(4));
    assert.equal(p3.body.next_cursor, ids[4]);
    // Nothing new: the same cursor comes back, so a poller can loop on it.
    const p4 = await h.api<Page>('GET', `/v1/events?limit=2&after=${p3.body.next_cursor}`);
    assert.deepEqual(p4.body, { events: [], next_cursor: ids[4] });

    const more = attachmentEvent('attachment.cancelled');
    await h.addEvent(more);
    const p5 = await h.api<Page>('GET', `/v1/events?after=${p4.body.next_cursor}`);
    assert.deepEqual(bare(p5.body.events), [more]);

    const direct = await readEvents(h.redis, h.keys, { limit: 100 });
    assert.deepEqual(bare(direct.events), [...events, more]);

    // Resuming after the cursor of an event in the middle of a page continues right behind it.
    const mid = await h.api<Page>('GET', `/v1/events?limit=2&after=${p1.body.events[0]!.cursor}`);
    assert.deepEqual(bare(mid.body.events), events.slice(1, 3));
  });

  it('after=$ returns no events and the cursor of now (the last entry), from which new events follow', async () => {
    const last = (await h.redis.xrevrange(h.keys.events(), '+', '-', 'COUNT', 1))[0]![0];
    const now = await h.api<Page>('GET', '/v1/events?after=%24');
    assert.equal(now.status, 200);
    assert.deepEqual(now.body, { events: [], next_cursor: last });
    const added = attachmentEvent('attachment.failed');
    const id = await h.addEvent(added);
    const next = await h.api<Page>('GET', `/v1/events?after=${now.body.next_cursor}`);
    assert.deepEqual(bare(next.body.events), [added]);
    assert.deepEqual(cursors(next.body.events), [id]);
    // On an empty stream: 0-0, after which every event comes.
    assert.deepEqual((await readEvents(h.redis, { ...h.keys, events: () => `${h.keys.events()}-empty` }, { after: '$', limit: 1 })).next_cursor, '0-0');
    assert.equal((await h.api<Page>('GET', '/v1/events?after=%24%24')).status, 400);
  });

  it('refuses a cursor that is not a stream id, and a limit out of range', async () => {
    const bad = await h.api<{ error: { code: string } }>('GET', '/v1/events?after=yesterday');
    assert.equal(bad.status, 400);
    const big = await h.api<{ error: { code: string } }>('GET', '/v1/events?limit=100000');
    assert.equal(big.status, 400);
    await assert.rejects(readEvents(h.redis, h.keys, { after: 'nope', limit: 1 }), { code: 'INVALID_CURSOR' });
  });

  it('followEvents yields new events live, in order, and stops on abort', async () => {
    const ac = new AbortController();
    const seen: StreamEvent[] = [];
    const added = [attachmentEvent(), attachmentEvent('attachment.failed'), attachmentEvent()];
    const from = (await readEvents(h.redis, h.keys, { limit: 1000 })).next_cursor ?? '0-0';
    const follower = (async () => {
      for await (const e of followEvents(h.redis, h.keys, { after: from, signal: ac.signal, blockMs: 10_000 })) {
        seen.push(e);
        if (seen.length === added.length) ac.abort();
      }
    })();
    for (const e of added) await h.addEvent(e);
    await follower;
    assert.deepEqual(
      seen.map((s) => s.event),
      added,
    );

    // Abort while blocked ends the wait at once (the blocking connection is closed).
    const ac2 = new AbortController();
    const started = Date.now();
    const idle = (async () => {
      for await (const e of followEvents(h.redis, h.keys, { signal: ac2.signal, blockMs: 30_000 })) void e;
    })();
    setTimeout(() => ac2.abort(), 100);
    await idle;
    assert.ok(Date.now() - started < 5_000);
  });
});
