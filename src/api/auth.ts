/**
 * Bearer-key authentication: `Authorization: Bearer <key>` against config.api.keys. Keys are compared as SHA-256
 * digests with timingSafeEqual, against every configured key without stopping early, so neither the length nor
 * the prefix of a key leaks through timing. Keys are never logged (the logger redacts `authorization` too).
 * Open routes (liveness, readiness, metrics, the OpenAPI docs) are marked with `config: { public: true }` or
 * live under /docs; routes with `config: { selfAuth: true }` (the queue dashboard, which also takes a cookie)
 * check the key themselves with createKeyChecker.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export interface KeyChecker {
  check(presented: string): boolean;
}

export function createKeyChecker(keys: readonly string[]): KeyChecker {
  const digests = keys.filter((k) => k.length > 0).map(digest);
  return {
    check(presented) {
      const candidate = digest(presented);
      let ok = false;
      for (const d of digests) ok = timingSafeEqual(candidate, d) || ok;
      return ok;
    },
  };
}

const BEARER_RE = /^Bearer[ ]+(\S+)[ ]*$/i;

/** Routes the bearer hook leaves alone: open ones, and those that authenticate themselves (`config.selfAuth`). */
export function isPublicRoute(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { public?: boolean; selfAuth?: boolean } | undefined;
  if (config?.public === true || config?.selfAuth === true) return true;
  const url = request.routeOptions.url ?? '';
  return url === '/docs' || url.startsWith('/docs/');
}

export function unauthorized(message: string): AppError {
  return new AppError('UNAUTHORIZED', message, { httpStatus: 401 });
}

/** Adds the onRequest hook that refuses requests without a valid key (401), except on open routes. */
export function installAuth(app: FastifyInstance, keys: readonly string[]): void {
  const checker = createKeyChecker(keys);
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request)) return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      void reply.header('www-authenticate', 'Bearer');
      throw unauthorized('missing "Authorization: Bearer <key>" header');
    }
    const m = BEARER_RE.exec(header);
    if (!m?.[1] || !checker.check(m[1])) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw unauthorized('invalid API key');
    }
  });
}
