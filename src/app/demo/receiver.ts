/**
 * The demo's webhook receiver: a node:http server on 127.0.0.1 with one path per target (a subscription,
 * the callback_url of the batch and of some items). Every request is verified on its raw body against the
 * target's secret — with the Standard Webhooks reference library (`standardwebhooks`, a devDependency that
 * `npm ci` installs) when it is present, else with this project's own HMAC-SHA256 check of the spec
 * ("<id>.<timestamp>.<body>", any of the space-separated v1 signatures, a 5-minute timestamp window) — and
 * answered 200 when valid, 401 when not. Deliveries are deduplicated on webhook-id, as a receiver should.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signatureFor } from '../../events/signing.js';
import type { CompletionEvent } from '../../workflow/types.js';
import type * as StandardWebhooks from 'standardwebhooks';

export interface ReceivedEvent {
  target: string;
  webhookId: string;
  event: CompletionEvent;
}

export interface TargetStats {
  requests: number;
  verified: number;
  rejected: number;
  /** Distinct webhook-ids verified. */
  distinct: number;
}

export interface DemoReceiver {
  readonly baseUrl: string;
  /** The verifier in use: 'standardwebhooks' (reference library) or 'built-in HMAC'. */
  readonly verifier: string;
  /** Register a target path and its secret; returns its URL. */
  target(name: string, secret: string): string;
  events(target: string): ReceivedEvent[];
  stats(target: string): TargetStats;
  close(): Promise<void>;
}

type Verify = (secret: string, body: string, headers: Record<string, string>) => boolean;

const TOLERANCE_S = 300;

const builtInVerify: Verify = (secret, body, headers) => {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = (headers['webhook-signature'] ?? '').split(' ');
  if (!id || !Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > TOLERANCE_S) return false;
  const expected = Buffer.from(signatureFor(secret, id, ts, body));
  return sigs.some((s) => {
    const got = Buffer.from(s);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
};

async function loadVerifier(): Promise<{ name: string; verify: Verify }> {
  try {
    // A devDependency: present after `npm ci`, absent from the production image (then the built-in check runs).
    const mod = (await import('standardwebhooks')) as typeof StandardWebhooks;
    return {
      name: 'standardwebhooks (reference library)',
      verify: (secret, body, headers) => {
        try {
          new mod.Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      },
    };
  } catch {
    return { name: 'built-in HMAC-SHA256 (standardwebhooks not installed)', verify: builtInVerify };
  }
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startDemoReceiver(): Promise<DemoReceiver> {
  const { name: verifier, verify } = await loadVerifier();
  const secrets = new Map<string, string>();
  const received = new Map<string, Map<string, ReceivedEvent>>();
  const stats = new Map<string, TargetStats>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = (req.url ?? '').replace(/^\//, '').split('?')[0] ?? '';
      const secret = secrets.get(target);
      const st = stats.get(target);
      if (!secret || !st || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      st.requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = flatHeaders(req.headers);
      if (!verify(secret, body, headers)) {
        st.rejected += 1;
        res.writeHead(401).end('bad signature');
        return;
      }
      st.verified += 1;
      const id = headers['webhook-id'] ?? '';
      const seen = received.get(target) as Map<string, ReceivedEvent>;
      if (!seen.has(id)) {
        seen.set(id, { target, webhookId: id, event: JSON.parse(body) as CompletionEvent });
        st.distinct = seen.size;
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    verifier,
    target(name, secret) {
      secrets.set(name, secret);
      received.set(name, new Map());
      stats.set(name, { requests: 0, verified: 0, rejected: 0, distinct: 0 });
      return `${baseUrl}/${name}`;
    },
    events: (target) => [...(received.get(target)?.values() ?? [])],
    stats: (target) => ({ ...(stats.get(target) ?? { requests: 0, verified: 0, rejected: 0, distinct: 0 }) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
