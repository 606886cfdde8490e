/**
 * A tiny signing HTTP client for the emulator tests: signs exactly as the Node SDK does (src/cloud/signer.ts)
 * and returns status, headers and parsed body, so tests can assert on raw wire behaviour.
 */
import { request as httpRequest } from 'node:http';
import { formatSdkDate, signRequest } from '../../../src/cloud/signer.js';
import { startTestEmulator, type EmulatorOptions, type TestEmulator } from '../../helpers/emulator.js';

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
  /** Change the body bytes after signing (to break the payload hash). */
  tamperBody?: (body: string) => string;
  /** Send without any auth header. */
  unsigned?: boolean;
  /** Replace the project id in the path. */
  projectId?: string;
  /** The API version segment (default 'v1'; 'v3' for the VPC v3 API). */
  version?: 'v1' | 'v3';
}

export type SignedClient = (method: string, path: string, opts?: SignedCallOptions) => Promise<SignedResponse>;

/** `path` is relative to /v1/{project_id}/ (or /v3/...), e.g. `vpcs` or `cloudservers/{id}/nics`. */
export function signedClient(o: SignedClientOptions): SignedClient {
  return async (method, path, opts = {}) => {
    const url = new URL(`${o.url}/${opts.version ?? 'v1'}/${opts.projectId ?? o.projectId}/${path}`);
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
    const sent = opts.tamperBody ? opts.tamperBody(body) : body;
    const res = await fetch(url, { method, headers, ...(sent === '' ? {} : { body: sent }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}

/** A raw HTTP request with exactly these headers (Host included), for replaying signed vectors. */
export function rawRequest(
  url: string,
  o: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method: o.method, path: o.path, headers: o.headers, setHost: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body ?? '');
  });
}

export interface SignedEmulator {
  t: TestEmulator;
  call: SignedClient;
}

/** A test emulator plus a signing client bound to it (X-Sdk-Date from the emulator's clock when given). */
export async function startSigned(opts: Partial<EmulatorOptions> = {}): Promise<SignedEmulator> {
  const t = await startTestEmulator(opts);
  const clock = opts.clock;
  const now = clock ? () => clock.now() : undefined;
  return { t, call: signedClient({ url: t.url, ...t.credentials, ...(now ? { now } : {}) }) };
}
