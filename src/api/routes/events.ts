/**
 * GET /v1/events?after=<cursor>&limit= — completion events for pull consumers, oldest first, from the Redis
 * stream `<prefix>:events`. `next_cursor` goes back as `after`; when nothing new has come it is the same
 * value again, so a poller can loop on it. Each event also carries its own `cursor`, so a reader that stops
 * in the middle of a page can resume right after the last event it handled. `after=$` returns no events and
 * the cursor of "now" (the last entry's id): the way to start from now on the server's clock, not the
 * client's. (The smallest addition: one more value of the existing parameter, as XREAD's `$`.) Events trimmed
 * from the stream (EVENTS_STREAM_MAXLEN, EVENTS_STREAM_MAX_AGE_HOURS) are gone.
 */
/// <reference types="@fastify/swagger" />
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import { LATEST, readEvents } from '../../events/stream.js';
import type { Keys } from '../../workflow/keys.js';
import { EVENT_TYPES } from '../../workflow/types.js';

export const EventSchema = Type.Object({
  id: Type.String({ description: 'evt_<uuid>; the webhook-id header of its deliveries.' }),
  type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
  timestamp: Type.String({ format: 'date-time' }),
  data: Type.Unknown({ description: 'The attachment record, or the batch summary for batch.completed.' }),
});

const EventsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        pattern: '^([0-9]{1,20}-[0-9]{1,20}|\\$)$',
        description: `next_cursor of a previous page, or the cursor of an event; omitted = from the oldest kept event; "${LATEST}" = now: no events, and next_cursor is the cursor to follow from.`,
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

/** EventSchema plus the event's own cursor (its stream entry id). */
const PagedEvent = Type.Object({
  ...EventSchema.properties,
  cursor: Type.String({ description: 'This event\'s stream id: pass it as `after` to continue right after it.' }),
});

const EventsPage = Type.Object({
  events: Type.Array(PagedEvent),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next page.' }),
});

export interface EventRoutesDeps {
  redis: Redis;
  keys: Keys;
}

export function eventRoutes(deps: EventRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: Static<typeof EventsQuery> }>(
      '/v1/events',
      { schema: { tags: ['events'], summary: 'Completion events after a cursor, oldest first', querystring: EventsQuery, response: { 200: EventsPage } } },
      async (req) => readEvents(deps.redis, deps.keys, { limit: req.query.limit ?? 100, ...(req.query.after ? { after: req.query.after } : {}) }),
    );
  };
}
