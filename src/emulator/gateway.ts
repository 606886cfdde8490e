/**
 * The API gateway in front of both services: SDK-HMAC-SHA256 verification per huawei-cloud-api.md §2.2 (or an
 * X-Auth-Token), the AK lockout, the throttle (token bucket) and the project id check.
 *
 * LIMITATIONS
 * - One AK/SK pair (and optional static tokens); no IAM, no STS (X-Security-Token is signed like any header but
 *   not checked), no V11-HMAC-SHA256 derived keys, no per-API rate limits.
 * - Every authentication failure (missing/garbled Authorization, unknown AK, bad signature, X-Sdk-Date missing or
 *   unsigned, locked AK, bad token) → 401 APIGW.0301. X-Sdk-Date skewed by more than limits.clock_skew_ms → 401
 *   limits.clock_skew_code: the code for skew is UNVERIFIED (0301 vs 0303), default APIGW.0301.
 * - AK lockout after limits.ak_lockout_failures consecutive failures for limits.ak_lockout_ms (default off).
 * - Throttle: faults.throttle_rps tokens per second on the injected clock, burst = max(1, rps), over all signed
 *   calls → 429 APIGW.0308 with Retry-After (whole seconds, at least 1).
 * - Project: path project id (and X-Project-Id when sent) must be the emulator's, else 400 in the service's shape:
 *   Ecs.0023 / VPC.0007 (documented codes for token/URL project mismatch; the exact behaviour is UNVERIFIED;
 *   VPC v3 answers VPC.0007 in its own shape).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { canonicalRequest, parseAuthorization, parseQuery, parseSdkDate, sha256Hex, signature } from '../cloud/signer.js';
import { gatewayError, serviceError, type EmulatorError } from './errors.js';
import type { ServiceShape } from './route-types.js';
import type { EmulatorContext } from './store.js';

export interface GatewayRequest {
  method: string;
  pathname: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const AUTH_PREFIX = 'Incorrect IAM authentication information: ';
const unauthorized = (why: string): EmulatorError => gatewayError(401, 'APIGW.0301', AUTH_PREFIX + why);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export interface Gateway {
  /** Throws 401 APIGW.0301 unless the request is signed with the emulator's AK/SK or carries a known token. */
  authenticate(req: GatewayRequest): void;
  /** Throws 429 APIGW.0308 when the token bucket is empty. */
  throttle(): void;
  checkProject(service: ServiceShape, pathProjectId: string, headers: IncomingHttpHeaders): void;
  reset(): void;
}

export function createGateway(
  ctx: EmulatorContext,
  creds: { accessKey: string; secretKey: string; tokens: readonly string[] },
): Gateway {
  const failures = new Map<string, { count: number; lockedUntil: number }>();
  let bucket = { tokens: 0, at: Number.NaN, rps: 0 };

  function recordFailure(ak: string): void {
    const max = ctx.settings.limits.ak_lockout_failures;
    if (max <= 0) return;
    const f = failures.get(ak) ?? { count: 0, lockedUntil: 0 };
    f.count += 1;
    if (f.count >= max) {
      f.lockedUntil = ctx.clock.now() + ctx.settings.limits.ak_lockout_ms;
      f.count = 0;
    }
    failures.set(ak, f);
  }

  function verifySignature(req: GatewayRequest, authorization: string): void {
    const auth = parseAuthorization(authorization);
    if (!auth) throw unauthorized('the Authorization header is missing or malformed');
    const now = ctx.clock.now();
    const lock = failures.get(auth.accessKey);
    if (lock && lock.lockedUntil > now) throw unauthorized('AK access failed to reach the limit, forbidden.');
    if (auth.accessKey !== creds.accessKey) {
      recordFailure(auth.accessKey);
      throw unauthorized(`Get secretKey failed,ak:${auth.accessKey},err:ak not exist`);
    }
    const names = auth.signedHeaders.map((h) => h.toLowerCase());
    const sdkDate = header(req.headers, 'x-sdk-date');
    const signedAt = sdkDate === undefined ? undefined : parseSdkDate(sdkDate);
    if (sdkDate === undefined || signedAt === undefined || !names.includes('x-sdk-date')) {
      recordFailure(auth.accessKey);
      throw unauthorized('X-Sdk-Date is missing, malformed or not signed');
    }
    if (Math.abs(now - signedAt) > ctx.settings.limits.clock_skew_ms) {
      recordFailure(auth.accessKey);
      const minutes = Math.round(ctx.settings.limits.clock_skew_ms / 60_000);
      throw gatewayError(401, ctx.settings.limits.clock_skew_code, `${AUTH_PREFIX}the request time has a deviation of more than ${minutes} minutes, time:${sdkDate}`);
    }
    const contentSha = header(req.headers, 'x-sdk-content-sha256');
    const canonical = canonicalRequest({
      method: req.method,
      pathname: req.pathname,
      query: parseQuery(req.rawQuery),
      signedHeaders: names,
      headerValue: (n) => (header(req.headers, n) ?? '').trim(),
      payloadHash: contentSha ?? sha256Hex(req.body),
    });
    const expected = Buffer.from(signature(creds.secretKey, sdkDate, canonical), 'utf8');
    const given = Buffer.from(auth.signature, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      recordFailure(auth.accessKey);
      throw unauthorized('verify aksk signature fail');
    }
    failures.delete(auth.accessKey);
  }

  return {
    authenticate(req) {
      const authorization = header(req.headers, 'authorization');
      if (authorization !== undefined) return verifySignature(req, authorization);
      const token = header(req.headers, 'x-auth-token');
      if (token !== undefined) {
        if (creds.tokens.includes(token)) return;
        throw unauthorized('decrypt token fail');
      }
      throw unauthorized('no Authorization or X-Auth-Token header');
    },
    throttle() {
      const rps = ctx.settings.faults.throttle_rps;
      if (rps <= 0) return;
      const now = ctx.clock.now();
      const burst = Math.max(1, rps);
      if (bucket.rps !== rps || Number.isNaN(bucket.at)) bucket = { tokens: burst, at: now, rps };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rps);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / rps));
      throw gatewayError(
        429,
        'APIGW.0308',
        `The throttling threshold has been reached: policy user over ratelimit,limit:${rps},time:1 second`,
        { 'Retry-After': String(retryAfter) },
      );
    },
    checkProject(service, pathProjectId, headers) {
      const headerProject = header(headers, 'x-project-id');
      if (pathProjectId === ctx.projectId && (headerProject === undefined || headerProject === ctx.projectId)) return;
      if (service === 'ecs') throw serviceError('ecs', 400, 'Ecs.0023', 'project_id in token mismatches with project_id in url.');
      throw serviceError(service, 400, 'VPC.0007', 'urlTenantId is not equal tokenTenantId');
    },
    reset() {
      failures.clear();
      bucket = { tokens: 0, at: Number.NaN, rps: 0 };
    },
  };
}
