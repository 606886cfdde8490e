/**
 * The operations endpoints of a process that runs no API (`nic-attach worker`): a bare node:http server with
 * GET /metrics (this process's registry: its stage durations, cloud calls, event-loop lag, …), /healthz
 * (always 200 while it serves) and /readyz (Redis answers and this process's workers run: 200, else 503).
 * Prometheus scrapes each worker process here; processes with the API serve the same at the API's port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';

export interface ReadyCheck {
  ok: boolean;
  detail?: string;
}

export interface MetricsServerDeps {
  registry: Registry;
  /** Named readiness checks; all must pass. */
  readiness: () => Promise<Record<string, ReadyCheck>>;
  logger: Logger;
}

export interface MetricsServer {
  /** Resolves with the base URL. */
  listen(opts: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}

export function createMetricsServer(deps: MetricsServerDeps): MetricsServer {
  let server: Server | undefined;
  const json = (status: number, body: unknown): [number, string, string] => [status, 'application/json; charset=utf-8', JSON.stringify(body)];

  const route = async (method: string, path: string): Promise<[number, string, string]> => {
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'GET only', details: {} } });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/metrics') return [200, deps.registry.contentType, await deps.registry.metrics()];
    if (path === '/readyz') {
      let checks: Record<string, ReadyCheck>;
      try {
        checks = await deps.readiness();
      } catch (err) {
        checks = { app: { ok: false, detail: err instanceof Error ? err.message : String(err) } };
      }
      const ready = Object.values(checks).every((c) => c.ok);
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${path}`, details: {} } });
  };

  return {
    async listen(opts) {
      const srv = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        route(req.method ?? 'GET', path).then(
          ([status, type, body]) => {
            res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
            res.end(req.method === 'HEAD' ? undefined : body);
          },
          (err: unknown) => {
            deps.logger.error({ err: err instanceof Error ? err.message : String(err), path }, 'metrics server request failed');
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end('{"error":{"code":"INTERNAL","message":"internal error","details":{}}}');
          },
        );
      });
      server = srv;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(opts.port, opts.host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const { port } = srv.address() as AddressInfo;
      const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
      return `http://${host}:${port}`;
    },
    async close() {
      const srv = server;
      server = undefined;
      if (!srv) return;
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeIdleConnections();
      });
    },
  };
}
