/** Query strings and marker pagination shared by the list operations (huawei-cloud-api.md §3.3, §3.6, §3.10). */
import type { QueryPairs } from './transport.js';

type QueryValue = string | number | boolean | readonly string[] | undefined;

/** Object → ordered (key, value) pairs; arrays become repeated keys (`fixed_ips=...&fixed_ips=...`). */
export function toQuery(query: object | undefined): QueryPairs {
  const pairs: QueryPairs = [];
  if (!query) return pairs;
  for (const [key, value] of Object.entries(query) as Array<[string, QueryValue]>) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value as readonly string[]) pairs.push([key, v]);
    } else {
      pairs.push([key, String(value)]);
    }
  }
  return pairs;
}

export const DEFAULT_PAGE_SIZE = 200;
/** A guard against a cloud that keeps answering full pages forever. */
export const MAX_PAGES = 10_000;

/**
 * Follow `marker` = id of the last item until a page shorter than the limit, an empty page, or a marker
 * already used (a cloud that ignores the marker would otherwise loop).
 */
export async function collectPages<T extends { id: string }>(
  fetchPage: (limit: number, marker: string | undefined) => Promise<T[]>,
  limit: number = DEFAULT_PAGE_SIZE,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const items = await fetchPage(limit, marker);
    const last = items[items.length - 1];
    if (last !== undefined && seen.has(last.id)) break; // the marker was ignored: this page was already taken
    all.push(...items);
    if (items.length < limit || last === undefined) break;
    seen.add(last.id);
    marker = last.id;
  }
  return all;
}

/**
 * v3 pagination (ListVpcs v3): follow `page_info.next_marker` until a page without one. Items are kept once
 * by id and a marker already followed ends the walk, so a cloud that ignores the marker cannot loop or
 * duplicate (the same guards as collectPages).
 */
export async function collectNextMarkerPages<T extends { id: string }>(
  fetchPage: (marker: string | undefined) => Promise<{ items: T[]; nextMarker: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  const ids = new Set<string>();
  const followed = new Set<string>();
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { items, nextMarker } = await fetchPage(marker);
    for (const item of items) {
      if (ids.has(item.id)) continue;
      ids.add(item.id);
      all.push(item);
    }
    if (nextMarker === undefined || followed.has(nextMarker)) break;
    followed.add(nextMarker);
    marker = nextMarker;
  }
  return all;
}
