/** Custom convict formats. Each throws an Error whose message says what is expected. */
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
  'positive-int': (v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error('must be a whole number of at least 1');
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

/** Env vars arrive as strings: these formats say how to turn them into values. */
export const coercions: Record<string, (raw: string) => unknown> = {
  /** An environment flag such as CI: true for 1/true/yes/on (any case), false for anything else, empty included. */
  'env-flag': (raw) => /^\s*(1|true|yes|on)\s*$/i.test(raw),
  'positive-int': (raw) => (/^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw),
  'positive-number': (raw) => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw),
  'string-list': (raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
};
