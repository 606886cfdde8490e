/**
 * Outbound safety for webhook URLs (design.md §3): only http and https; a host that resolves to a loopback,
 * private, link-local, CGNAT, unspecified, multicast or reserved address is refused unless `allowPrivate`
 * (config webhook.allowPrivate, on in tests and the demo); cloud metadata addresses are refused always.
 *
 * Checked twice: when a URL is registered (a clear 400 for the caller), and at connect time by the agents'
 * `lookup`, which validates the address the socket is about to use. The second check defeats DNS rebinding
 * (a name that resolved to a public address at registration and to 127.0.0.1 later).
 */
import dns from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AppError, ValidationError } from '../lib/errors.js';
import { isAddressAllowed } from './address-class.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}
/** dns.lookup(host, { all: true }) as a promise; injectable in tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Error codes (stable; the API returns them as `error.code`). */
export const URL_INVALID = 'WEBHOOK_URL_INVALID';
export const URL_FORBIDDEN = 'WEBHOOK_URL_FORBIDDEN';
export const URL_UNRESOLVABLE = 'WEBHOOK_URL_UNRESOLVABLE';

function forbidden(host: string, address: string, cls: string): AppError {
  return new AppError(URL_FORBIDDEN, `webhook host ${host} resolves to ${address}, a ${cls} address; such targets are refused (WEBHOOK_ALLOW_PRIVATE opens non-metadata ones)`, {
    httpStatus: 400,
    details: { host, address, address_class: cls },
  });
}

/** Parse and check the form of a webhook URL (no DNS): http(s), a host, no credentials. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(`"${raw}" is not a URL`, { url: raw }, URL_INVALID);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(`webhook URLs must use http or https, not ${url.protocol.replace(/:$/, '')}`, { url: raw }, URL_INVALID);
  }
  if (url.hostname === '') throw new ValidationError('webhook URL has no host', { url: raw }, URL_INVALID);
  if (url.username !== '' || url.password !== '') {
    // The URL is returned by the API and stored in delivery records: credentials there would leak.
    throw new ValidationError('webhook URLs must not carry user:password credentials', {}, URL_INVALID);
  }
  return url;
}

function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Whether the URL's host is an IP address itself (no DNS involved: its verdict can never change). */
export function isIpLiteralHost(url: URL): boolean {
  return isIP(bareHost(url)) !== 0;
}

/**
 * `p`, or a rejection with the signal's reason as soon as `signal` aborts. A DNS lookup cannot be cancelled: it is
 * left to finish (or not) unobserved, but its caller stops waiting for it.
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  const aborted = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Full check of a URL: its form, then every address its host resolves to. Throws an AppError (httpStatus 400)
 * with code WEBHOOK_URL_INVALID, WEBHOOK_URL_FORBIDDEN or WEBHOOK_URL_UNRESOLVABLE; or, when `signal` aborts
 * during the resolution (a delivery attempt's timeout), the abort reason at once.
 */
export async function assertUrlAllowed(raw: string, opts: { allowPrivate: boolean; resolve?: Resolver; signal?: AbortSignal }): Promise<URL> {
  const url = parseWebhookUrl(raw);
  const host = bareHost(url);
  let addresses: ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await untilAborted((opts.resolve ?? systemResolver)(host), opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new AppError(URL_UNRESOLVABLE, `webhook host ${host} does not resolve`, { httpStatus: 400, cause: err, details: { host } });
    }
    if (addresses.length === 0) throw new AppError(URL_UNRESOLVABLE, `webhook host ${host} does not resolve`, { httpStatus: 400, details: { host } });
  }
  for (const a of addresses) {
    const verdict = isAddressAllowed(a.address, opts.allowPrivate);
    if (!verdict.allowed) throw forbidden(host, a.address, verdict.cls);
  }
  return url;
}

/**
 * A `lookup` for http(s).Agent that resolves like dns.lookup and refuses the connection when any address is
 * not allowed. Node calls it with `all: true` when happy-eyeballs (autoSelectFamily) is on, else without.
 */
export function guardedLookup(allowPrivate: boolean, lookup: typeof dns.lookup = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const verdict = isAddressAllowed(a.address, allowPrivate);
        if (!verdict.allowed) {
          const e = forbidden(hostname, a.address, verdict.cls);
          callback(Object.assign(e, { errno: undefined, syscall: 'lookup', hostname }) as unknown as NodeJS.ErrnoException, '', 0);
          return;
        }
      }
      const first = list[0];
      if (!first) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        return;
      }
      if (options.all) callback(null, list);
      else callback(null, first.address, first.family);
    });
  };
}

export interface OutboundAgents {
  /** For node-fetch's `agent` option: the guarded agent for the URL's protocol. */
  agentFor(url: URL): HttpAgent;
  destroy(): void;
}

export function createOutboundAgents(opts: { allowPrivate: boolean; lookup?: typeof dns.lookup }): OutboundAgents {
  const lookup = guardedLookup(opts.allowPrivate, opts.lookup);
  const http = new HttpAgent({ keepAlive: true, maxSockets: 50, lookup });
  const https = new HttpsAgent({ keepAlive: true, maxSockets: 50, lookup });
  return {
    agentFor: (url) => (url.protocol === 'https:' ? https : http),
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  };
}
