/**
 * SDK-HMAC-SHA256 request signing exactly as the official Huawei Cloud SDKs sign (huawei-cloud-api.md §2.1),
 * and the canonicalisation pieces the emulator's gateway reuses to verify signatures (§2.2).
 *
 * Pure: no clock, no I/O. The caller passes the X-Sdk-Date and the exact body bytes that will be sent.
 */
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 percent-encoding: unreserved characters stay, everything else becomes %XX of its UTF-8 bytes. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A path of unreserved characters and slashes only: decoding and RFC 3986-encoding leave it as it is. */
const UNRESERVED_PATH = /^[A-Za-z0-9\-._~/]*$/;

/**
 * Canonical URI: each path segment decoded then RFC 3986-encoded, joined with "/", always ending in "/".
 * Decoding first makes `/v1/ü`, `/v1/%C3%BC` and a URL object's pathname all sign the same way.
 */
export function canonicalUri(pathname: string): string {
  // Nothing to decode or encode (the paths the transport builds): the path is its own canonical form.
  if (UNRESERVED_PATH.test(pathname)) return pathname.endsWith('/') ? pathname : `${pathname}/`;
  const encoded = pathname
    .split('/')
    .map((segment) => rfc3986(safeDecode(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Decoded (key, value) pairs of a raw query string ("+" read as a space, as a lenient gateway would). */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const q = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  if (q === '') return [];
  return q
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      const v = eq < 0 ? '' : part.slice(eq + 1);
      return [safeDecode(k.replace(/\+/g, ' ')), safeDecode(v.replace(/\+/g, ' '))];
    });
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Canonical query: sorted by key then value (code-unit order), each encoded, `k=v` joined by `&`. */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return [...pairs]
    .sort((a, b) => byCodeUnits(a[0], b[0]) || byCodeUnits(a[1], b[1]))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');
}

/** The query string to put on the wire: same encoding as the canonical form, in the given order. */
export function encodeQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256Hex(key: string, message: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(message, 'utf8').digest('hex');
}

export interface CanonicalRequestInput {
  method: string;
  pathname: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Signed header names (any case), in the order they are to appear. */
  signedHeaders: readonly string[];
  /** Header lookup by lowercase name. */
  headerValue: (lowercaseName: string) => string;
  /** Hex SHA-256 of the body bytes, or the X-Sdk-Content-Sha256 value. */
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const names = input.signedHeaders.map((h) => h.toLowerCase());
  const headerBlock = names.map((n) => `${n}:${input.headerValue(n)}\n`).join('');
  return [
    input.method.toUpperCase(),
    canonicalUri(input.pathname),
    canonicalQuery(input.query),
    headerBlock,
    names.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

export function signature(secretKey: string, sdkDate: string, canonical: string): string {
  return hmacSha256Hex(secretKey, stringToSign(sdkDate, canonical));
}

let lastSdkDate: { second: number; text: string } | undefined;

/** `YYYYMMDDTHHMMSSZ` in UTC (the last second's text is kept: a busy client signs many calls within one). */
export function formatSdkDate(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (lastSdkDate?.second === second) return lastSdkDate.text;
  const text = new Date(second * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  lastSdkDate = { second, text };
  return text;
}

/** Parse `YYYYMMDDTHHMMSSZ`; undefined when malformed. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t) ? undefined : t;
}

export interface SignRequestInput {
  method: string;
  url: URL;
  /** Headers to send and sign, by their wire names; Host is added from the URL when absent. */
  headers: Record<string, string>;
  /** The exact body bytes sent (empty string for none). */
  body: string | Uint8Array;
  accessKey: string;
  secretKey: string;
  /** X-Sdk-Date value, `YYYYMMDDTHHMMSSZ`. */
  sdkDate: string;
}

/**
 * Sign as the Node SDK does: every header present at signing time is signed (content-type, host with its port,
 * x-project-id, x-sdk-date, x-security-token), sorted by lowercase name. Returns the headers to send, with
 * X-Sdk-Date and Authorization added.
 */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const headers: Record<string, string> = { ...input.headers, 'X-Sdk-Date': input.sdkDate };
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) lower.set(k.toLowerCase(), v);
  if (!lower.has('host')) {
    headers.host = input.url.host;
    lower.set('host', input.url.host);
  }
  const names = [...lower.keys()].filter((n) => n !== 'authorization').sort(byCodeUnits);
  const contentSha = lower.get('x-sdk-content-sha256');
  const canonical = canonicalRequest({
    method: input.method,
    pathname: input.url.pathname,
    query: input.url.search === '' ? [] : [...input.url.searchParams.entries()],
    signedHeaders: names,
    headerValue: (n) => lower.get(n) ?? '',
    payloadHash: contentSha ?? (input.body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(input.body)),
  });
  const sig = signature(input.secretKey, input.sdkDate, canonical);
  headers.Authorization = `${ALGORITHM} Access=${input.accessKey}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
  return headers;
}

export const AUTHORIZATION_RE = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(value: string | undefined): ParsedAuthorization | undefined {
  if (!value) return undefined;
  const m = AUTHORIZATION_RE.exec(value);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  return { accessKey: m[1], signedHeaders: m[2].split(';'), signature: m[3] };
}
