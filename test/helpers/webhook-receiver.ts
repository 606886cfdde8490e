/**
 * A programmable webhook receiver for tests: a node:http server on 127.0.0.1 that records every request
 * (headers, raw body) and answers from a script — e.g. [500, 500, 200], [410], ['hang'] (never answers),
 * { status: 503, headers: { 'retry-after': '1' } } — then with the fallback once the script is used up.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedResponse = number | 'hang' | { status: number; headers?: Record<string, string>; body?: string };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (what the signature covers). */
  body: string;
  /** What the receiver answered ('hang' = nothing). */
  answered: number | 'hang';
  at: number;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Replace the rest of the script (responses used in order) and, optionally, the fallback. */
  script(responses: ScriptedResponse[], fallback?: ScriptedResponse): void;
  /** Resolves once at least `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: { responses?: ScriptedResponse[]; fallback?: ScriptedResponse } = {}): Promise<WebhookReceiver> {
  let queue: ScriptedResponse[] = [...(opts.responses ?? [])];
  let fallback: ScriptedResponse = opts.fallback ?? 200;
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = queue.length > 0 ? (queue.shift() as ScriptedResponse) : fallback;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: r === 'hang' ? 'hang' : typeof r === 'number' ? r : r.status,
        at: Date.now(),
      });
      for (const w of waiters) w();
      if (r === 'hang') {
        hanging.add(res);
        return;
      }
      const spec = typeof r === 'number' ? { status: r } : r;
      res.writeHead(spec.status, { 'content-type': 'text/plain', ...(spec.headers ?? {}) });
      res.end(spec.body ?? `answered ${spec.status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    script(responses, fb) {
      queue = [...responses];
      if (fb !== undefined) fallback = fb;
    },
    waitForRequests(n, timeoutMs = 15_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length >= n) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(requests.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${requests.length} requests, expected ${n} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
