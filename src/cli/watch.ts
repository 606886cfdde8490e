/**
 * `nic-attach watch`: live completion events, one line each (or JSON lines with --json), by polling
 * GET /v1/events with the cursor. Starts from now unless --from-start or --after <cursor>; filters by type,
 * batch or attachment; stops after --count matching events, or on Ctrl-C (exit 0 either way).
 * "Now" is the server's: the first request asks for `after=$` (the stream's last entry), so a client clock that
 * is ahead or behind neither skips events nor replays old ones. --json prints each event with its own cursor,
 * so `--after <the last line's cursor>` resumes right after it even when --count stopped in the middle of a page.
 */
import type { CompletionEvent } from '../workflow/types.js';
import { EVENT_TYPES } from '../workflow/types.js';
import { pause, positiveInt, type CliContext } from './context.js';
import { EXIT_OK, UsageError } from './exit-codes.js';
import { renderEvent } from './render.js';

export const WATCH_USAGE = `usage: nic-attach watch [--from-start | --after <cursor>] [--type <event type>] [--batch <bat_…>]
                        [--attachment <att_…>] [--count <n>] [--json]

  --from-start                 begin with the oldest event kept (default: only events from now on)
  --after <cursor>             continue after an event: the "cursor" of a line printed with --json
  --type <type>                repeatable: ${EVENT_TYPES.join(', ')}
  --batch <bat_…>              only this batch's events
  --attachment <att_…>         only this attachment's events
  --count <n>                  exit after n matching events
  --interval <ms>              poll interval (default 1000)`;

export const WATCH_OPTIONS = {
  'from-start': { type: 'boolean' },
  after: { type: 'string' },
  type: { type: 'string', multiple: true },
  batch: { type: 'string' },
  attachment: { type: 'string' },
  count: { type: 'string' },
} as const;

export interface WatchValues {
  'from-start'?: boolean;
  after?: string;
  type?: string[];
  batch?: string;
  attachment?: string;
  count?: string;
}

function matches(e: CompletionEvent, v: WatchValues): boolean {
  if (v.type && v.type.length > 0 && !v.type.includes(e.type)) return false;
  const data = e.data as { id?: string; batch_id?: string };
  if (v.attachment && data.id !== v.attachment) return false;
  if (v.batch && data.batch_id !== v.batch && !(e.type === 'batch.completed' && data.id === v.batch)) return false;
  return true;
}

export async function runWatch(ctx: CliContext, values: WatchValues, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`watch takes no positional arguments (got "${positionals.join(' ')}")`);
  if (values['from-start'] && values.after) throw new UsageError('give --from-start or --after, not both');
  for (const t of values.type ?? []) {
    if (!(EVENT_TYPES as readonly string[]).includes(t)) throw new UsageError(`--type ${t}: not an event type (${EVENT_TYPES.join(', ')})`);
  }
  const limit = values.count === undefined ? undefined : positiveInt('count', values.count, 1);
  // Not `${Date.now()}-0`: this machine's clock may differ from the Redis server's, which makes the stream ids.
  let cursor: string | undefined = values['from-start'] ? undefined : (values.after ?? (await ctx.client.events({ after: '$', limit: 1 })).next_cursor ?? '0-0');
  let shown = 0;
  if (!ctx.json) ctx.err(`watching events at ${ctx.client.baseUrl} (Ctrl-C to stop)`);
  while (!ctx.signal.aborted) {
    const page = await ctx.client.events({ ...(cursor ? { after: cursor } : {}), limit: 500 });
    for (const event of page.events) {
      if (!matches(event, values)) continue;
      // The event's own cursor (a server before per-event cursors only has the page's, which skips the rest of a page).
      const own = (event as CompletionEvent & { cursor?: string }).cursor ?? page.next_cursor;
      ctx.out(ctx.json ? JSON.stringify({ ...event, cursor: own }) : renderEvent(event));
      shown += 1;
      if (limit !== undefined && shown >= limit) return EXIT_OK;
    }
    cursor = page.next_cursor ?? cursor;
    if (page.events.length === 0) await pause(ctx, ctx.intervalMs);
  }
  return EXIT_OK;
}
