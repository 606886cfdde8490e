/**
 * One HTTP attempt against ECS or VPC: builds the URL (path segments RFC 3986-encoded, query with the
 * signer's encodeQuery), serialises the body once and signs exactly those bytes (or sends X-Auth-Token),
 * enforces the per-request timeout, checks the operation's success status and validates the body.
 * Every outcome that is not a success becomes a CloudError through classifyCloudError().
 *
 * Observability: one debug line per attempt (operation, method, path, status, duration_ms, request_id,
 * outcome) and CallMeta to deps.onCall / opts.onCall. Headers are never logged (they carry credentials).
 * Retries are not done here (see ./retry.ts): a single attempt is what the rate limiter and metrics count.
 */
import http from 'node:http';
import https from 'node:https';
import nodeFetch from 'node-fetch';
import { systemClock } from '../lib/clock.js';
import { classifyCloudError } from './classify.js';
import type { CallMeta, CallOptions, CloudClientDeps, CloudClientOptions } from './client.js';
import { isCloudError, type CloudError } from './errors.js';
import type { Decoder } from './schemas.js';
import { encodeQuery, formatSdkDate, rfc3986, signRequest } from './signer.js';
import type { OperationName } from './types.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type QueryPairs = Array<[string, string]>;
export type Service = 'ecs' | 'vpc';
export type ApiVersion = 'v1' | 'v3';

export interface WireRequest<T> {
  operation: OperationName;
  service: Service;
  method: HttpMethod;
  /** API version, the first path segment (default v1; ListVpcs v3, §8 row 3b, is `/v3/{project_id}/vpc/vpcs`). */
  version?: ApiVersion;
  /** Path segments after `/{version}/{project_id}/`, unencoded (ids are encoded here, so no id can alter the path). */
  path: readonly string[];
  query?: QueryPairs;
  /** JSON body; serialised once, and those bytes are both hashed and sent. */
  body?: unknown;
  /** The one status that means success (200, 201 for CreatePort, 204 for deletes). */
  successStatus: number;
  /** Validates a JSON answer; absent for answers without a body (204). */
  decode?: Decoder<T>;
}

export interface Transport {
  /** Exactly one HTTP attempt. Resolves with the decoded answer, or rejects with a CloudError. */
  send<T>(req: WireRequest<T>, opts?: CallOptions): Promise<T>;
  /** Drops the keep-alive sockets. */
  close(): void;
}

const USER_AGENT = 'ecs-nic-attach/0.1 (node-fetch)';

/** The URL of a request: `{endpoint}/{version}/{project_id}/{segments}?{query}`. Exported for tests and the emulator's callers. */
export function buildUrl(endpoint: string, projectId: string, path: readonly string[], query: QueryPairs = [], version: ApiVersion = 'v1'): URL {
  const base = endpoint.replace(/\/+$/, '');
  const segments = [version, projectId, ...path].map(rfc3986).join('/');
  const qs = query.length > 0 ? `?${encodeQuery(query)}` : '';
  return new URL(`${base}/${segments}${qs}`);
}

export function createTransport(options: CloudClientOptions, deps: CloudClientDeps): Transport {
  const fetchImpl = deps.fetch ?? nodeFetch;
  const clock = deps.clock ?? systemClock;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  const endpoints: Record<Service, string> = { ecs: options.ecsEndpoint, vpc: options.vpcEndpoint };

  function headersFor(method: HttpMethod, url: URL, body: Buffer | undefined): Record<string, string> {
    const base: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.projectId !== '') base['X-Project-Id'] = options.projectId;
    const cred = options.credentials;
    let headers: Record<string, string>;
    if (cred.kind === 'aksk') {
      if (cred.securityToken) base['X-Security-Token'] = cred.securityToken;
      headers = signRequest({
        method,
        url,
        headers: base,
        body: body ?? '',
        accessKey: cred.accessKey,
        secretKey: cred.secretKey,
        sdkDate: formatSdkDate(clock.now()),
      });
    } else {
      headers = { ...base, 'X-Auth-Token': cred.token };
    }
    // Added after signing, as the Node SDK's axios does: not part of SignedHeaders.
    headers.Accept = 'application/json';
    headers['User-Agent'] = USER_AGENT;
    return headers;
  }

  async function send<T>(req: WireRequest<T>, opts: CallOptions = {}): Promise<T> {
    if (deps.beforeCall) await deps.beforeCall(req.operation);
    const url = buildUrl(endpoints[req.service], options.projectId, req.path, req.query, req.version);
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
    const headers = headersFor(req.method, url, body);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const onCallerAbort = (): void => controller.abort();
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const started = performance.now();
    let status: number | undefined;
    let requestId: string | undefined;
    let error: CloudError | undefined;
    try {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const res = await fetchImpl(url, {
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
        agent: (u: URL) => (u.protocol === 'https:' ? httpsAgent : httpAgent),
        signal: controller.signal,
        redirect: 'manual',
      });
      status = res.status;
      requestId = res.headers.get('x-request-id') ?? undefined;
      const text = await res.text();
      if (res.status !== req.successStatus) {
        throw classifyCloudError({ kind: 'response', operation: req.operation, method: req.method, status: res.status, headers: res.headers, bodyText: text, now: clock.now() });
      }
      return decodeBody(req, res.status, text, requestId);
    } catch (err) {
      error = toCloudError(err, req, { timedOut, callerAborted: opts.signal?.aborted === true, timeoutMs: options.timeoutMs, requestId });
      throw error;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
      const meta: CallMeta = {
        operation: req.operation,
        method: req.method,
        status,
        durationMs: Math.round(performance.now() - started),
        requestId: error?.requestId ?? requestId,
        outcome: error ? error.code : 'ok',
      };
      deps.logger.debug(
        {
          operation: meta.operation,
          method: meta.method,
          path: url.pathname,
          status: meta.status,
          duration_ms: meta.durationMs,
          request_id: meta.requestId,
          outcome: meta.outcome,
          ...(error?.cloudCode === undefined ? {} : { cloud_code: error.cloudCode }),
        },
        'cloud call',
      );
      deps.onCall?.(meta);
      opts.onCall?.(meta);
    }
  }

  return {
    send,
    close(): void {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function decodeBody<T>(req: WireRequest<T>, status: number, text: string, requestId: string | undefined): T {
  if (!req.decode) return undefined as T;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw classifyCloudError({ kind: 'malformed', operation: req.operation, method: req.method, status, requestId, problem: 'the body is not JSON' });
  }
  const result = req.decode(json);
  if (!result.ok) {
    throw classifyCloudError({ kind: 'malformed', operation: req.operation, method: req.method, status, requestId, problem: result.problem });
  }
  return result.value;
}

function toCloudError(
  err: unknown,
  req: WireRequest<unknown>,
  ctx: { timedOut: boolean; callerAborted: boolean; timeoutMs: number; requestId: string | undefined },
): CloudError {
  if (isCloudError(err)) return err;
  const base = { operation: req.operation, method: req.method, requestId: ctx.requestId };
  if (ctx.timedOut) return classifyCloudError({ kind: 'timeout', ...base, timeoutMs: ctx.timeoutMs });
  if (ctx.callerAborted) return classifyCloudError({ kind: 'aborted', ...base, error: err });
  return classifyCloudError({ kind: 'network', ...base, error: err });
}
