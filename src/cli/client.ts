/**
 * The HTTP API as the command-line client sees it: fetch with a timeout and the bearer key. Errors are split
 * the way exit codes are (./exit-codes.ts): the API refused the request (ApiError: its status, code, message
 * and details) or the service could not be reached or asks to retry later (UnreachableError: connection refused,
 * timeout, or 502/503/504/408/429 from the API or a proxy in front of it; the API's code and details kept).
 */
import type { AttachmentRecord, AttachmentRequest, CompletionEvent } from '../workflow/types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class UnreachableError extends Error {
  constructor(
    message: string,
    /** The API's error code when it answered (REDIS_UNAVAILABLE, OUTCOME_UNKNOWN, …). */
    readonly code?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** Answers that mean "try again later, unchanged" (exit 3), not "this request is wrong". */
const RETRY_LATER_STATUSES = new Set([408, 429, 502, 503, 504]);

export interface BatchAcceptedBody {
  id: string;
  total: number;
  attachment_ids: string[];
}

export interface BatchItemBody {
  id: string;
  status: AttachmentRecord['status'];
  stage: string;
  server_id: string;
  ip_address?: string;
  nic_id?: string;
  port_id?: string;
  finished_at?: string;
  error?: { code: string; message: string };
}

export interface BatchBody {
  id: string;
  total: number;
  done: boolean;
  counts: Record<AttachmentRecord['status'], number>;
  created_at: string;
  finished_at?: string;
  items: BatchItemBody[];
}

export interface EventsPage {
  events: CompletionEvent[];
  next_cursor: string | null;
}

export interface ApiClient {
  readonly baseUrl: string;
  submit(request: AttachmentRequest, idempotencyKey?: string): Promise<AttachmentRecord>;
  submitBatch(body: { items: AttachmentRequest[]; callback_url?: string; metadata?: Record<string, unknown> }, idempotencyKey?: string): Promise<BatchAcceptedBody>;
  attachment(id: string): Promise<AttachmentRecord>;
  batch(id: string): Promise<BatchBody>;
  events(opts: { after?: string; limit?: number }): Promise<EventsPage>;
}

export interface ClientOptions {
  url: string;
  key: string;
  timeoutMs?: number;
}

export function createApiClient(opts: ClientOptions): ApiClient {
  const baseUrl = opts.url.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new UnreachableError(`cannot reach the API at ${baseUrl}: ${why}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const error = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    if (RETRY_LATER_STATUSES.has(res.status)) {
      throw new UnreachableError(`the API at ${baseUrl} is unavailable (${res.status}${error?.code ? ` ${error.code}` : ''}): ${error?.message ?? (text.slice(0, 200) || res.statusText)}`, error?.code, error?.details ?? {});
    }
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? (text.slice(0, 200) || res.statusText), error?.details ?? {});
  }

  const idem = (key: string | undefined): Record<string, string> => (key ? { 'idempotency-key': key } : {});

  return {
    baseUrl,
    submit: (request, key) => call('POST', '/v1/attachments', request, idem(key)),
    submitBatch: (body, key) => call('POST', '/v1/batches', body, idem(key)),
    attachment: (id) => call('GET', `/v1/attachments/${encodeURIComponent(id)}`),
    batch: (id) => call('GET', `/v1/batches/${encodeURIComponent(id)}`),
    events: ({ after, limit }) => {
      const q = new URLSearchParams();
      if (after) q.set('after', after);
      if (limit) q.set('limit', String(limit));
      const qs = q.toString();
      return call('GET', `/v1/events${qs ? `?${qs}` : ''}`);
    },
  };
}
