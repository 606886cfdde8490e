/**
 * A recording HTTP server for the client wire tests: every request is kept byte-for-byte (method, raw URL,
 * headers, body) and answered by the handler the test installs (a canned answer, or 'hang' for no answer).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  service: string;
  method: string;
  /** Raw request target as received, e.g. `/v1/p/ports?name=a%20b`. */
  url: string;
  path: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Canned = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';
export type Handler = (req: Recorded, index: number) => Canned;

export interface WireServer {
  readonly url: string;
  readonly port: number;
  readonly requests: Recorded[];
  /** Replace the answer of the next requests (and forget earlier recordings). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startWireServer(service: string): Promise<WireServer> {
  const requests: Recorded[] = [];
  let handler: Handler = () => ({ status: 500, body: { error: { code: 'TEST.0000', message: 'no handler installed' } } });
  let counter = 0;
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      const rec: Recorded = {
        service,
        method: req.method ?? '',
        url: rawUrl,
        path: q < 0 ? rawUrl : rawUrl.slice(0, q),
        rawQuery: q < 0 ? '' : rawUrl.slice(q + 1),
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(rec);
      const answer = handler(rec, requests.length - 1);
      if (answer === 'hang') return; // never answer: the client's timeout must fire
      counter += 1;
      const body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        'Content-Type': 'application/json',
        'X-Request-Id': `${service}-req-${counter}`,
        ...answer.headers,
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle(h: Handler): void {
      handler = h;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}
