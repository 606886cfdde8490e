/**
 * GET /v1/events?after=<cursor>&limit= — completion events for pull consumers, oldest first, from the Redis
 * stream `<prefix>:events`. `next_cursor` goes back as `after`; when nothing new has come it is the same
 * value again, so a poller can loop on it. Events trimmed from the stream (EVENTS_STREAM_MAXLEN) are gone.
 */
/// <reference types="@fastify/swagger" />
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import { readEvents } from '../../events/stream.js';
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
    after: Type.Optional(Type.String({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', description: 'next_cursor of a previous page; omitted = from the oldest kept event.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

const EventsPage = Type.Object({
  events: Type.Array(EventSchema),
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
