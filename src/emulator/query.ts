/** Query-string helpers and marker pagination (limit + marker = id of the last item of the previous page). */
import type { EmulatorError } from './errors.js';

export function queryAll(query: ReadonlyArray<readonly [string, string]>, key: string): string[] {
  const out: string[] = [];
  for (const [k, v] of query) if (k === key) out.push(v);
  return out;
}

export function queryOne(query: ReadonlyArray<readonly [string, string]>, key: string): string | undefined {
  for (const [k, v] of query) if (k === key) return v;
  return undefined;
}

export interface PageOptions<M> {
  idOf: (m: M) => string;
  match: (m: M) => boolean;
  /** The service's 400 for a bad limit or an unknown marker. */
  invalid: (message: string) => EmulatorError;
  defaultLimit: number;
}

/**
 * One page of `all` (insertion order): items after the marker that match, at most `limit`, and whether more
 * matching items follow. limit must be a non-negative integer (0 = the default page size) no greater than
 * `maxLimit`; an unknown marker is a 400.
 */
export function page<M>(all: Iterable<M>, query: ReadonlyArray<readonly [string, string]>, o: PageOptions<M> & { maxLimit?: number }): { items: M[]; more: boolean } {
  const limitText = queryOne(query, 'limit');
  let limit = o.defaultLimit;
  if (limitText !== undefined) {
    const max = o.maxLimit ?? 2 ** 31 - 1;
    if (!/^\d{1,10}$/.test(limitText) || Number(limitText) > max) throw o.invalid(`Invalid limit: ${limitText} (an integer in 0..${max})`);
    limit = Number(limitText) || o.defaultLimit;
  }
  const marker = queryOne(query, 'marker');
  let seenMarker = marker === undefined;
  const items: M[] = [];
  let more = false;
  for (const m of all) {
    if (!seenMarker) {
      if (o.idOf(m) === marker) seenMarker = true;
      continue;
    }
    if (!o.match(m)) continue;
    if (items.length >= limit) {
      more = true;
      break;
    }
    items.push(m);
  }
  if (!seenMarker) throw o.invalid(`Invalid marker: ${marker ?? ''} does not exist`);
  return { items, more };
}

/** The items of `page` (the v1 APIs answer no page links). */
export function paginate<M>(all: Iterable<M>, query: ReadonlyArray<readonly [string, string]>, o: PageOptions<M>): M[] {
  return page(all, query, o).items;
}
