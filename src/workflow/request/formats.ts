/**
 * The string formats the request schemas use, registered with TypeBox's FormatRegistry on first use (not at
 * import time). The same predicates back the semantic checks, so a format means one thing everywhere.
 */
import { FormatRegistry } from '@sinclair/typebox';
import { isUuid } from '../../lib/ids.js';
import { isIpv4 } from '../../lib/net.js';

/** An absolute http(s) URL with a host and no credentials in it (credentials in URLs end up in logs). */
export function isHttpUrl(text: string): boolean {
  if (typeof text !== 'string' || text.trim() !== text || /\s/.test(text)) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return false;
  return true;
}

const FORMATS: Record<string, (value: string) => boolean> = {
  uuid: isUuid,
  ipv4: isIpv4,
  'http-url': isHttpUrl,
};

let registered = false;

/** Register the formats (idempotent; the predicates are the same whoever registers them). */
export function ensureFormats(): void {
  if (registered) return;
  for (const [name, check] of Object.entries(FORMATS)) {
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
  }
  registered = true;
}
