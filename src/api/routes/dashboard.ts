/**
 * The queue dashboard (bull-board) at /admin/queues, behind the API keys.
 *
 * Scripts and curl send `Authorization: Bearer <key>` as everywhere else. A browser cannot add that header,
 * so it signs in once at /admin/login (a form that POSTs the key; never a query string, which would end up in
 * access logs) and gets the key back as a cookie `nic_attach_key` — HttpOnly, SameSite=Strict (no cross-site
 * request carries it, so the dashboard's retry/clean buttons cannot be triggered from another site),
 * Path=/admin, Secure when the request came over https, 12 hours. /admin/logout clears it.
 *
 * Every route of this scope is marked `config.selfAuth`: the global bearer hook (../auth.ts) leaves them to the
 * hook here, which accepts the header or the cookie and compares in constant time with the same checker. The
 * hook answers itself (bull-board installs its own error handler in its scope, which would render our 401s
 * in its own shape): a browser asking for a page is redirected to the login form, anything else gets 401 in
 * the API's error shape.
 */
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { createBullBoard } from '@bull-board/api';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createKeyChecker } from '../auth.js';
import { errorBody } from '../errors.js';

export const DASHBOARD_PATH = '/admin/queues';
export const LOGIN_PATH = '/admin/login';
export const LOGOUT_PATH = '/admin/logout';
export const KEY_COOKIE = 'nic_attach_key';
const COOKIE_MAX_AGE_S = 12 * 3600;

export interface DashboardOptions {
  /** One bull-board adapter per queue (src/queues/queue-inspector.ts). */
  adapters: BaseAdapter[];
  /** The API keys (config.api.keys). */
  keys: readonly string[];
  title?: string;
}

const BEARER_RE = /^Bearer[ ]+(\S+)[ ]*$/i;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's own scope authenticates it (the global bearer hook skips it). */
    selfAuth?: boolean;
    /** The dashboard's sign-in and sign-out routes (open). */
    dashboardLogin?: boolean;
  }
}

/** The value of one cookie from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function keyCookie(value: string, maxAge: number, secure: boolean): string {
  return `${KEY_COOKIE}=${encodeURIComponent(value)}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

function loginPage(message?: string): string {
  const note = message ? `<p class="err">${message}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nic-attach · sign in</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}
input{width:100%;padding:.5rem;margin:.5rem 0;box-sizing:border-box}button{padding:.5rem 1rem}.err{color:#b00}</style></head>
<body><h1>Queue dashboard</h1><p>Sign in with an API key (one of <code>API_KEYS</code>).</p>${note}
<form method="post" action="${LOGIN_PATH}"><label>API key <input type="password" name="key" autocomplete="current-password" autofocus required></label>
<button type="submit">Sign in</button></form></body></html>`;
}

function wantsHtml(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app: FastifyInstance, opts) => {
  const checker = createKeyChecker(opts.keys);
  const presentedKey = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    if (header) return BEARER_RE.exec(header)?.[1] ?? '';
    return readCookie(request.headers.cookie, KEY_COOKIE);
  };

  // Every route registered below (ours, bull-board's, its static files) authenticates here.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, selfAuth: true };
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.dashboardLogin === true) return;
    const key = presentedKey(request);
    if (key !== undefined && key !== '' && checker.check(key)) return;
    if (wantsHtml(request) && request.headers.authorization === undefined) {
      return reply.code(303).header('location', LOGIN_PATH).send();
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(errorBody('UNAUTHORIZED', key === undefined ? `send "Authorization: Bearer <key>", or sign in at ${LOGIN_PATH}` : 'invalid API key')));
  });

  // Browsers post the login form urlencoded; only this scope accepts that content type.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const html = (reply: FastifyReply, status: number, body: string): FastifyReply => reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const login = { dashboardLogin: true };
  const hidden = { hide: true };

  app.get(LOGIN_PATH, { config: login, schema: hidden }, async (_request, reply) => html(reply, 200, loginPage()));
  app.post(LOGIN_PATH, { config: login, schema: hidden }, async (request, reply) => {
    const key = (request.body as { key?: unknown } | undefined)?.key;
    if (typeof key !== 'string' || key === '' || !checker.check(key)) {
      request.log.info({ code: 'UNAUTHORIZED' }, 'dashboard sign-in refused');
      return html(reply, 401, loginPage('That is not a valid API key.'));
    }
    return reply.code(303).header('set-cookie', keyCookie(key, COOKIE_MAX_AGE_S, request.protocol === 'https')).header('location', DASHBOARD_PATH).send();
  });
  const logout = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    reply.code(303).header('set-cookie', keyCookie('', 0, request.protocol === 'https')).header('location', LOGIN_PATH).send();
  app.get(LOGOUT_PATH, { config: login, schema: hidden }, logout);
  app.post(LOGOUT_PATH, { config: login, schema: hidden }, logout);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: opts.adapters,
    // @bull-board/fastify pins its own copy of @bull-board/api (one patch version apart): same shapes, separate
    // type declarations.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: opts.title ?? 'nic-attach queues', miscLinks: [{ text: 'Sign out', url: LOGOUT_PATH }] } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
};
