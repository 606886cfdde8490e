/** Exponential backoff with "full jitter" (AWS architecture blog): spreads retries of many jobs apart. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1: the share of the delay that is random. 1 = full jitter. */
  jitter?: number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = opts.jitter ?? 1;
  const fixed = exp * (1 - jitter);
  return Math.round(fixed + random() * exp * jitter);
}

/** Parse "5s,5m,30m,2h" into milliseconds. Throws on a bad entry (callers validate config with it). */
export function parseDurationList(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseDuration);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new Error(`"${text}" is not a duration like 500ms, 5s, 5m, 2h or 1d`);
  }
  return Math.round(Number(m[1]) * (UNITS[m[2]] ?? 1));
}

/**
 * An HTTP Retry-After value as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), a date in
 * the past → 0. Undefined when absent (null from fetch's Headers.get, undefined from a header record) or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
