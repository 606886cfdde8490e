/**
 * Custom convict formats. Each throws an Error whose message says what is expected.
 *
 * The schema uses only these (plus String and lists of choices), never convict's built-in number/boolean
 * formats: convict coerces env vars for those itself, on every load(), loosely — parseInt('80abc') = 80,
 * parseInt('1.5s') = 1, and any boolean other than "false" is true, so WEBHOOK_ALLOW_PRIVATE=0 turned the
 * guard off. The coercions below accept only exact forms and otherwise leave the raw string, which the
 * validator then rejects with the usual one-line message (test/unit/config/ checks the schema for built-ins).
 */
import { parseDurationList } from '../lib/backoff.js';

function assertString(v: unknown): asserts v is string {
  if (typeof v !== 'string') throw new Error('must be a string');
}

type Validate = (v: unknown) => void;

export const formats: Record<string, Validate> = {
  'env-flag': (v: unknown) => {
    if (typeof v !== 'boolean') throw new Error('must be true or false');
  },
  'redis-url': (v: unknown) => {
    assertString(v);
    if (!/^rediss?:\/\/.+/.test(v)) throw new Error('must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
  },
  'http-url-or-empty': (v: unknown) => {
    assertString(v);
    if (v === '') return;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new Error('must be an http(s) URL such as https://ecs.cn-north-4.myhuaweicloud.com, or empty');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must use http or https');
  },
  'project-id-or-empty': (v: unknown) => {
    assertString(v);
    if (v !== '' && !/^[0-9a-fA-F]{32}$/.test(v)) throw new Error('must be 32 hex characters (an IAM project id), or empty');
  },
  'project-id': (v: unknown) => {
    assertString(v);
    if (!/^[0-9a-f]{32}$/.test(v)) throw new Error('must be 32 lowercase hex characters (an IAM project id)');
  },
  region: (v: unknown) => {
    assertString(v);
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(v)) throw new Error('must be a region name like cn-north-4 or ap-southeast-1');
  },
  'duration-list': (v: unknown) => {
    assertString(v);
    const list = parseDurationList(v);
    if (list.length === 0) throw new Error('must list at least one duration, e.g. 5s,5m,30m,2h,5h,10h,10h');
  },
  /** A TCP port; 0 means "any free port" where the key's doc says so. */
  'tcp-port': (v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new Error('must be a port number, a whole number from 0 to 65535');
  },
  'non-negative-int': (v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error('must be a whole number of at least 0');
  },
  /** A service setting that is on or off: exactly true or false (not 1/0/yes/no: they were once misread). */
  'true-false': (v: unknown) => {
    if (typeof v !== 'boolean') throw new Error('must be true or false');
  },
  /**
   * WEBHOOK_SECRET: empty (callback_url is then refused) or a Standard Webhooks secret — "whsec_" + base64 of at
   * least 24 bytes (the spec asks for 24 to 64). Checked here so a mistyped secret stops start-up instead of
   * failing every callback delivery later (src/events/signing.ts reads the key the same way).
   */
  'webhook-secret': (v: unknown) => {
    assertString(v);
    if (v === '') return;
    const b64 = v.startsWith('whsec_') ? v.slice('whsec_'.length) : v;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('must be whsec_ followed by base64, e.g. whsec_$(openssl rand -base64 32)');
    if (Buffer.from(b64, 'base64').length < 24) throw new Error('must hold at least 24 bytes of key (whsec_ + base64 of 24 to 64 random bytes)');
  },
  'positive-int': (v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new Error('must be a whole number of at least 1');
  },
  'positive-number': (v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error('must be a number greater than 0');
  },
  'string-list': (v: unknown) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error('must be a comma-separated list');
  },
  'queue-prefix': (v: unknown) => {
    assertString(v);
    if (!/^(\{[A-Za-z0-9_.-]+\}|[A-Za-z0-9_.-]+)$/.test(v)) {
      throw new Error('must be letters, digits, "_", "-", "." — optionally wrapped in {} as a Redis Cluster hash tag');
    }
  },
};

/** Decimal digits only: no sign, no spaces, no unit, no 0x/1e3 forms. */
const wholeNumber = (raw: string): unknown => (/^\d+$/.test(raw) ? Number(raw) : raw);

/**
 * Env vars arrive as strings: these formats say how to turn them into values. Each accepts only the exact
 * form and otherwise returns the raw string, so validation fails naming the value (never a silent guess).
 */
export const coercions: Record<string, (raw: string) => unknown> = {
  /**
   * An environment flag set by the machine, not this service (CI): true for 1/true/yes/on (any case), false for
   * anything else, empty included — CI systems spell it many ways and a wrong guess only changes progress output.
   */
  'env-flag': (raw) => /^\s*(1|true|yes|on)\s*$/i.test(raw),
  'tcp-port': wholeNumber,
  'non-negative-int': wholeNumber,
  'true-false': (raw) => (raw === 'true' ? true : raw === 'false' ? false : raw),
  'positive-int': wholeNumber,
  'positive-number': (raw) => (/^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw),
  'string-list': (raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
};
