/**
 * The emulator's one HTTP server (node:http): control API under /_emulator, then for `/v1/{project}/...` the
 * gateway (route → authentication → project → throttle), the faults (latency, error_rate before the operation;
 * drop_response_rate after it) and the operation itself. Every response carries an X-Request-Id (32 hex).
 *
 * LIMITATIONS: HTTP only (no TLS); bodies over 12 MB → 413 APIGW.0201; a body that is not JSON → 400 with the
 * operation's code (Ecs.0005, VPC.0101, VPC.0201, VPC.2500). Content-Type is not checked.
 * The error_rate fault answers a 500 in the service's own body shape (the contract), so a client's
 * handling of each shape is exercised under faults: VPC → VPC.0105 "backend (Neutron) error" (v1 or v3 shape);
 * ECS → Ecs.1000 "Nova call failed". ECS documents no 5xx code of its own (huawei-cloud-api.md §6.4 lists Ecs.1000
 * with 400, Ecs.0603 means "server busy"); a backend failure is what Ecs.1000 names, so it is sent with 500 —
 * a choice, UNVERIFIED. The gateway's 5xx shape is exercised by throttling (429) and auth (401) already.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseQuery } from '../cloud/signer.js';
import { EmulatorError, errorBody, gatewayError, serviceError, controlError } from './errors.js';
import { handleControl } from './control.js';
import type { Gateway } from './gateway.js';
import { settle } from './resources/jobs.js';
import type { createRouter, RouteMatch } from './router.js';
import type { EmulatorContext } from './store.js';
import type { EmulatorControl } from './types.js';

const MAX_BODY = 12 * 1024 * 1024;

export interface HttpDeps {
  ctx: EmulatorContext;
  router: ReturnType<typeof createRouter>;
  gateway: Gateway;
  control: EmulatorControl;
  allowRemoteControl: boolean;
  /** Pending latency timers, cleared on close. */
  timers: Set<NodeJS.Timeout>;
}

function requestId(): string {
  return randomUUID().replace(/-/g, '');
}

function send(res: ServerResponse, status: number, body: unknown, rid: string, extra: Record<string, string> = {}): void {
  if (res.destroyed) return;
  if (status === 204 || body === undefined) {
    res.writeHead(status, { 'X-Request-Id': rid, ...extra });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Request-Id': rid,
    ...extra,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: EmulatorError, rid: string): void {
  send(res, err.status, errorBody(err, rid), rid, err.headers);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (body.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

async function handleControlRequest(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, path: string, body: Buffer, rid: string): Promise<void> {
  if (!deps.allowRemoteControl && !isLoopback(req.socket.remoteAddress)) {
    return sendError(res, controlError(403, 'EMULATOR.FORBIDDEN', 'The control API answers loopback clients only.'), rid);
  }
  const parsed = parseJson(body);
  if (!parsed.ok) return sendError(res, controlError(400, 'EMULATOR.BAD_REQUEST', 'Body is not valid JSON.'), rid);
  const out = handleControl(deps.control, req.method ?? 'GET', path, parsed.value);
  if (!out) return sendError(res, controlError(404, 'EMULATOR.NOT_FOUND', `No control route ${req.method ?? ''} ${path}.`), rid);
  send(res, out[0], out[1], rid);
}

function pause(deps: HttpDeps, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      deps.timers.delete(t);
      resolve();
    }, ms);
    deps.timers.add(t);
  });
}

async function handleApi(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, match: RouteMatch, parts: { pathname: string; rawQuery: string; body: Buffer }, rid: string): Promise<void> {
  const { ctx, gateway } = deps;
  const def = match.def;
  gateway.authenticate({ method: req.method ?? 'GET', pathname: parts.pathname, rawQuery: parts.rawQuery, headers: req.headers, body: parts.body });
  gateway.checkProject(def.service, match.projectId, req.headers);
  gateway.throttle();
  ctx.store.calls[def.op] += 1;
  const faults = ctx.settings.faults;
  if (faults.latency_ms > 0) await pause(deps, faults.latency_ms);
  if (faults.error_rate > 0 && ctx.random() < faults.error_rate) {
    throw def.service === 'ecs'
      ? serviceError('ecs', 500, 'Ecs.1000', 'Internal server error (injected fault: error_rate).')
      : serviceError(def.service, 500, 'VPC.0105', 'Internal server error (injected fault: error_rate).');
  }
  const parsed = parseJson(parts.body);
  if (!parsed.ok) throw serviceError(def.service, 400, def.bodyErrorCode ?? 'Ecs.0005', 'The request body is not valid JSON.');
  settle(ctx);
  const result = def.handler(ctx, { params: match.params, query: parseQuery(parts.rawQuery), body: parsed.value, requestId: rid });
  if (faults.drop_response_rate > 0 && ctx.random() < faults.drop_response_rate) {
    ctx.logger.debug({ op: def.op, request_id: rid }, 'emulator fault: response dropped after the operation');
    req.socket.destroy();
    return;
  }
  send(res, def.status, def.status === 204 ? undefined : result, rid);
}

export function createHttpServer(deps: HttpDeps): Server {
  const server = createServer((req, res) => {
    const rid = requestId();
    const started = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    let op = 'unrouted';
    readBody(req)
      .then(async (body) => {
        if (body === undefined) throw gatewayError(413, 'APIGW.0201', 'Request entity too large.');
        if (pathname.startsWith('/_emulator/')) {
          op = 'control';
          return handleControlRequest(deps, req, res, pathname, body, rid);
        }
        const match = deps.router.match(req.method ?? 'GET', pathname);
        if (!match) throw gatewayError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment.');
        op = match.def.op;
        return handleApi(deps, req, res, match, { pathname, rawQuery, body }, rid);
      })
      .catch((err: unknown) => {
        if (err instanceof EmulatorError) return sendError(res, err, rid);
        deps.ctx.logger.error({ err, request_id: rid }, 'emulator: unexpected error');
        sendError(res, gatewayError(500, 'APIGW.0601', 'Internal error.'), rid);
      })
      .finally(() => {
        deps.ctx.logger.debug({ op, method: req.method, status: res.statusCode, ms: Date.now() - started, request_id: rid }, 'emulator request');
      });
  });
  server.keepAliveTimeout = 5000;
  return server;
}
