/**
 * Speaking JSON over HTTP to the API in tests: one request, the answer's status, headers, text and parsed body
 * (undefined when the answer is empty or not JSON, so a test can still assert on the status and text).
 */

export interface JsonRequest {
  /** Sent as JSON with content-type application/json (unless `headers` names another one). */
  body?: unknown;
  /** Raw body text, sent as is (wins over `body`). */
  raw?: string;
  headers?: Record<string, string>;
  /** API key sent as `Authorization: Bearer <key>`; null or undefined = no Authorization header. */
  bearer?: string | null;
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function requestJson<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  o: JsonRequest = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.bearer !== undefined && o.bearer !== null) headers.authorization = `Bearer ${o.bearer}`;
  let body: string | undefined;
  if (o.raw !== undefined) body = o.raw;
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}
