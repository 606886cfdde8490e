/**
 * The one error shape of the API, `{ error: { code, message, details } }`, for every failure: AppErrors carry
 * their own status and code; fastify's own errors (body too large, wrong content type, bad JSON) get stable
 * codes; Redis being unreachable is 503 REDIS_UNAVAILABLE (nothing written) or, from the producer, 503
 * OUTCOME_UNKNOWN (a write sent but not confirmed); anything else is a 500 INTERNAL whose message says nothing
 * about the internals. Never a stack trace.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import { isRedisUnavailableError, redisUnavailable } from '../queues/producer.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

/** fastify error codes → ours (status from fastify). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

interface Rendered {
  status: number;
  body: ErrorBody;
}

export function renderError(err: unknown, request: Pick<FastifyRequest, 'headers'> & Partial<Pick<FastifyRequest, 'routeOptions'>>): Rendered {
  if (err instanceof AppError) {
    const status = err.httpStatus ?? (err.code === 'REDIS_UNAVAILABLE' ? 503 : 500);
    if (status >= 500 && err.code !== 'REDIS_UNAVAILABLE' && !err.retryable) {
      return { status, body: errorBody(err.code, 'internal error') };
    }
    return { status, body: errorBody(err.code, err.message, err.details ?? {}) };
  }
  if (isRedisUnavailableError(err)) {
    const e = redisUnavailable(err);
    return { status: 503, body: errorBody(e.code, e.message, e.details ?? {}) };
  }
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = (fe.code && FASTIFY_CODES[fe.code]) ?? STATUS_CODES[status] ?? 'BAD_REQUEST';
    let message = fe.message ?? code;
    const details: Record<string, unknown> = {};
    if (code === 'UNSUPPORTED_MEDIA_TYPE') {
      message = 'request bodies must be application/json';
      details.content_type = request.headers['content-type'] ?? null;
    } else if (code === 'INVALID_JSON') {
      message = `request body is not valid JSON: ${fe.message ?? ''}`.trim();
    } else if (code === 'BODY_TOO_LARGE') {
      // POST /v1/batches has its own, larger limit (batchBodyLimit in ./server.ts): name the one that applied.
      const limit = request.routeOptions?.bodyLimit;
      message = `request body is larger than the limit of this route${typeof limit === 'number' ? ` (${limit} bytes)` : ''}; see API_BODY_LIMIT_BYTES and BATCH_MAX_ITEMS`;
      if (typeof limit === 'number') details.limit_bytes = limit;
    }
    return { status, body: errorBody(code, message, details) };
  }
  return { status: 500, body: errorBody('INTERNAL', 'internal error') };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = renderError(err, request);
    if (status >= 500) request.log.error({ err, code: body.error.code }, `request failed: ${body.error.code}`);
    else request.log.info({ code: body.error.code, status }, `request refused: ${body.error.code}`);
    void reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`));
  });
}
