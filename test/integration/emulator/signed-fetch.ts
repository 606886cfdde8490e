/**
 * A tiny signing HTTP client for the emulator tests: signs exactly as the Node SDK does (src/cloud/signer.ts)
 * and returns status, headers and parsed body, so tests can assert on raw wire behaviour.
 */
import { formatSdkDate, signRequest } from '../../../src/cloud/signer.js';

export interface SignedResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SignedClientOptions {
  url: string;
  projectId: string;
  accessKey: string;
  secretKey: string;
  /** Clock for X-Sdk-Date (default Date.now). */
  now?: () => number;
}

export interface SignedCallOptions {
  query?: Array<[string, string]>;
  body?: unknown;
  /** Extra headers to send and sign. */
  headers?: Record<string, string>;
  /** Override the key pair used to sign. */
  accessKey?: string;
  secretKey?: string;
  /** Override X-Sdk-Date. */
  sdkDate?: string;
  /** Change the request after signing (to break the signature). */
  tamper?: (h: Record<string, string>) => void;
  /** Send without any auth header. */
  unsigned?: boolean;
  /** Replace the project id in the path. */
  projectId?: string;
}

export type SignedClient = (method: string, path: string, opts?: SignedCallOptions) => Promise<SignedResponse>;

/** `path` is relative to /v1/{project_id}/, e.g. `vpcs` or `cloudservers/{id}/nics`. */
export function signedClient(o: SignedClientOptions): SignedClient {
  return async (method, path, opts = {}) => {
    const url = new URL(`${o.url}/v1/${opts.projectId ?? o.projectId}/${path}`);
    for (const [k, v] of opts.query ?? []) url.searchParams.append(k, v);
    const body = opts.body === undefined ? '' : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const base: Record<string, string> = { 'Content-Type': 'application/json', 'X-Project-Id': o.projectId, ...opts.headers };
    const headers = opts.unsigned
      ? base
      : signRequest({
          method,
          url,
          headers: base,
          body,
          accessKey: opts.accessKey ?? o.accessKey,
          secretKey: opts.secretKey ?? o.secretKey,
          sdkDate: opts.sdkDate ?? formatSdkDate((o.now ?? Date.now)()),
        });
    opts.tamper?.(headers);
    const res = await fetch(url, { method, headers, ...(body === '' ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}
