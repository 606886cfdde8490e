/**
 * The ONE place where a cloud answer, a network failure or a timeout becomes a CloudError
 * (huawei-cloud-api.md §6). Everything above src/cloud reasons about the resulting `code`, `retryable`,
 * `retryAfterMs` and `outcomeUnknown`, never about bodies or sockets.
 *
 * | situation                                          | code                      | kind      | retryable | outcomeUnknown        |
 * |----------------------------------------------------|---------------------------|-----------|-----------|-----------------------|
 * | HTTP 429, or cloud code APIGW.0308 (any status)    | CLOUD_THROTTLED           | http      | yes (+ retryAfterMs: Retry-After seconds or HTTP-date, default 2000 ms) | no |
 * | cloud code Ecs.0603 (HTTP 501: server busy)        | CLOUD_SERVER_BUSY         | http      | yes       | no                    |
 * | cloud code VPC.0103 / VPC.0110 / VPC.0205          | CLOUD_RESOURCE_BUSY       | http      | yes       | no                    |
 * | any other 5xx (incl. non-JSON 502 pages)           | CLOUD_UNAVAILABLE         | http      | yes       | yes for non-GET       |
 * | 401                                                | CLOUD_AUTH                | http      | no        | no                    |
 * | 403                                                | CLOUD_FORBIDDEN           | http      | no        | no                    |
 * | 404                                                | CLOUD_NOT_FOUND           | http      | no        | no                    |
 * | 409                                                | CLOUD_CONFLICT            | http      | no        | no                    |
 * | any other 4xx                                      | CLOUD_BAD_REQUEST         | http      | no        | no                    |
 * | 1xx/3xx, or a 2xx that is not the operation's code | CLOUD_UNEXPECTED_STATUS   | http / malformed (2xx) | no | yes for non-GET 2xx (it may have been carried out) |
 * | 2xx whose body is not what the API defines         | CLOUD_MALFORMED_RESPONSE  | malformed | no        | yes for non-GET       |
 * | no answer within the per-request timeout           | CLOUD_TIMEOUT             | timeout   | yes       | yes for non-GET       |
 * | connection failed (reset, refused, DNS, ...)       | CLOUD_NETWORK             | network   | yes       | yes for non-GET, unless the request surely never left (refused, DNS) |
 * | the caller's AbortSignal fired                     | CLOUD_ABORTED             | network   | yes       | yes for non-GET       |
 *
 * Malformed answers are not retryable: the cloud carried the call out (2xx) and retrying a GET gets the same
 * body; for a create, `outcomeUnknown` tells the caller to look the resource up.
 */
import { parseRetryAfter } from '../lib/backoff.js';
import { CloudError, type CloudErrorKind } from './errors.js';
import type { OperationName } from './types.js';

export const DEFAULT_RETRY_AFTER_MS = 2000;
const RETRYABLE_CLOUD_CODES: Record<string, string> = {
  'Ecs.0603': 'CLOUD_SERVER_BUSY',
  'VPC.0103': 'CLOUD_RESOURCE_BUSY',
  'VPC.0110': 'CLOUD_RESOURCE_BUSY',
  'VPC.0205': 'CLOUD_RESOURCE_BUSY',
};
/** Errors raised before a single byte could reach the server: a POST that failed this way did nothing. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);
const MAX_MESSAGE_CHARS = 500;

/** Header access that fits node-fetch's Headers, a plain record (node:http) and a Map. */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Record<string, string | string[] | undefined>;

export type ClassifyInput =
  | {
      kind: 'response';
      operation: OperationName;
      method: string;
      status: number;
      headers?: HeaderSource;
      bodyText: string;
      /** Epoch ms used to read an HTTP-date Retry-After (default Date.now()). */
      now?: number;
    }
  | { kind: 'network'; operation: OperationName; method: string; error: unknown; requestId?: string }
  | { kind: 'timeout'; operation: OperationName; method: string; timeoutMs: number; requestId?: string }
  | { kind: 'aborted'; operation: OperationName; method: string; error?: unknown; requestId?: string }
  | {
      kind: 'malformed';
      operation: OperationName;
      method: string;
      status: number;
      requestId?: string;
      /** What was wrong, e.g. "/vpc/status: expected one of CREATING, OK, ERROR". */
      problem: string;
    };

export interface ParsedErrorBody {
  cloudCode: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * huawei-cloud-api.md §6.5: `error.code` (ECS) ?? `error_code` (gateway, VPC v3) ?? `code` (VPC v1) ??
 * the first nested object's code (one level, as the Go SDK does); message likewise, else the raw text.
 */
export function parseErrorBody(bodyText: string): ParsedErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const raw = bodyText.trim();
  const rawMessage = raw.length > 0 ? raw.slice(0, MAX_MESSAGE_CHARS) : undefined;
  if (!isObject(body)) return { cloudCode: undefined, message: rawMessage, requestId: undefined };
  const err = isObject(body.error) ? body.error : undefined;
  const nested = Object.values(body).find(
    (v): v is Record<string, unknown> => isObject(v) && (str(v.code) ?? str(v.error_code) ?? str(v.message) ?? str(v.error_msg)) !== undefined,
  );
  const cloudCode = str(err?.code) ?? str(body.error_code) ?? str(body.code) ?? str(nested?.code) ?? str(nested?.error_code);
  const message =
    str(err?.message) ??
    str(body.error_msg) ??
    str(body.message) ??
    str(body.error) ??
    str(nested?.message) ??
    str(nested?.error_msg) ??
    rawMessage;
  return { cloudCode, message: message?.slice(0, MAX_MESSAGE_CHARS), requestId: str(body.request_id) };
}

export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') {
    return str((headers as { get(n: string): string | null | undefined }).get(name) ?? undefined);
  }
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : rec[key];
  return str(Array.isArray(v) ? v[0] : v);
}

/** Retry-After (delta-seconds or HTTP-date) as ms; shared with the webhook deliveries, so it lives in lib. */
export { parseRetryAfter };

function errorCodeOf(err: unknown): string | undefined {
  if (!isObject(err) && !(err instanceof Error)) return undefined;
  const e = err as { code?: unknown; errno?: unknown; cause?: unknown };
  return str(e.code) ?? str(e.errno) ?? (e.cause !== undefined && e.cause !== err ? errorCodeOf(e.cause) : undefined);
}

interface Verdict {
  code: string;
  retryable: boolean;
}

function verdictForHttp(status: number, cloudCode: string | undefined): Verdict {
  if (status === 429 || cloudCode === 'APIGW.0308') return { code: 'CLOUD_THROTTLED', retryable: true };
  const busy = cloudCode === undefined ? undefined : RETRYABLE_CLOUD_CODES[cloudCode];
  if (busy) return { code: busy, retryable: true };
  if (status >= 500) return { code: 'CLOUD_UNAVAILABLE', retryable: true };
  if (status === 401) return { code: 'CLOUD_AUTH', retryable: false };
  if (status === 403) return { code: 'CLOUD_FORBIDDEN', retryable: false };
  if (status === 404) return { code: 'CLOUD_NOT_FOUND', retryable: false };
  if (status === 409) return { code: 'CLOUD_CONFLICT', retryable: false };
  if (status >= 400) return { code: 'CLOUD_BAD_REQUEST', retryable: false };
  return { code: 'CLOUD_UNEXPECTED_STATUS', retryable: false };
}

const describeRequestId = (id: string | undefined): string => (id === undefined ? '' : ` (request id ${id})`);

/** Turn an error answer, a network failure, a timeout or a malformed answer into the typed CloudError. */
export function classifyCloudError(input: ClassifyInput): CloudError {
  const { operation } = input;
  const mayHaveActed = input.method.toUpperCase() !== 'GET';
  switch (input.kind) {
    case 'timeout':
      return new CloudError('CLOUD_TIMEOUT', `${operation}: no answer within ${input.timeoutMs} ms${describeRequestId(input.requestId)}`, {
        kind: 'timeout',
        operation,
        requestId: input.requestId,
        retryable: true,
        outcomeUnknown: mayHaveActed,
      });
    case 'aborted':
      return new CloudError('CLOUD_ABORTED', `${operation}: the call was aborted by the caller`, {
        kind: 'network',
        operation,
        requestId: input.requestId,
        retryable: true,
        outcomeUnknown: mayHaveActed,
        cause: input.error,
      });
    case 'network': {
      const sysCode = errorCodeOf(input.error);
      const detail = input.error instanceof Error ? input.error.message : String(input.error);
      const neverSent = sysCode !== undefined && NOT_SENT_CODES.has(sysCode);
      return new CloudError('CLOUD_NETWORK', `${operation}: network error${sysCode ? ` ${sysCode}` : ''}: ${detail}`, {
        kind: 'network',
        operation,
        requestId: input.requestId,
        retryable: true,
        outcomeUnknown: mayHaveActed && !neverSent,
        cause: input.error,
      });
    }
    case 'malformed':
      return new CloudError(
        'CLOUD_MALFORMED_RESPONSE',
        `${operation}: HTTP ${input.status} answer does not match the API: ${input.problem}${describeRequestId(input.requestId)}`,
        { kind: 'malformed', operation, httpStatus: input.status, requestId: input.requestId, retryable: false, outcomeUnknown: mayHaveActed },
      );
    case 'response':
      return classifyResponse(input, mayHaveActed);
  }
}

function classifyResponse(input: Extract<ClassifyInput, { kind: 'response' }>, mayHaveActed: boolean): CloudError {
  const { operation, status } = input;
  const parsed = parseErrorBody(input.bodyText);
  const requestId = headerValue(input.headers, 'x-request-id') ?? parsed.requestId;
  const is2xx = status >= 200 && status < 300;
  // A 2xx reaching here is "not this operation's success code": whatever its body says, the call was carried out.
  const verdict = is2xx ? { code: 'CLOUD_UNEXPECTED_STATUS', retryable: false } : verdictForHttp(status, parsed.cloudCode);
  const kind: CloudErrorKind = is2xx ? 'malformed' : 'http';
  let retryAfterMs: number | undefined;
  if (verdict.code === 'CLOUD_THROTTLED') {
    retryAfterMs = parseRetryAfter(headerValue(input.headers, 'retry-after'), input.now) ?? DEFAULT_RETRY_AFTER_MS;
  }
  const what = is2xx ? `unexpected success status ${status}` : `HTTP ${status}`;
  const codePart = parsed.cloudCode === undefined ? '' : ` ${parsed.cloudCode}`;
  const messagePart = parsed.message === undefined || is2xx ? '' : `: ${parsed.message}`;
  return new CloudError(verdict.code, `${operation}: ${what}${codePart}${messagePart}${describeRequestId(requestId)}`, {
    kind,
    operation,
    httpStatus: status,
    cloudCode: parsed.cloudCode,
    requestId,
    retryable: verdict.retryable,
    retryAfterMs,
    // A 2xx, or a 5xx other than the busy codes above, to a call that acts: the gateway answers 502/504
    // (APIGW.0201 "backend unavailable / timeout") and a backend its 500s after it may already have created the
    // resource, so the caller must look it up before creating again. Only a 4xx, a throttle or a busy code is
    // a refusal. (Treating a 5xx as a refusal once cleared a port stage's create marker and duplicated a port.)
    outcomeUnknown: mayHaveActed && (is2xx || verdict.code === 'CLOUD_UNAVAILABLE'),
  });
}
