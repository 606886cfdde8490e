/**
 * /v1/attachments: enqueue one (with Idempotency-Key), read one, list with filters and a cursor, cancel.
 * Enqueueing goes through the producer (src/queues/producer.ts), the same code path as the library.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../lib/errors.js';
import { AttachmentRequestSchema } from '../../workflow/request/index.js';
import type { AttachmentRequest } from '../../workflow/types.js';
import type { Producer } from '../../queues/producer.js';
import { assertCallbackTargets } from '../../queues/producer-callback-targets.js';
import {
  AttachmentIdParams,
  AttachmentListSchema,
  AttachmentRecordSchema,
  ErrorSchema,
  IdempotencyHeaders,
  ListQuerySchema,
} from '../schemas.js';

export interface AttachmentRoutesOptions {
  producer: Producer;
  onAccepted?: (count: number) => void;
  /**
   * config.webhook.allowPrivate: whether a callback_url may target a private/loopback/link-local address
   * literal. Checked here, not only in the producer: a producer handed to the server was made without it.
   */
  allowPrivateCallbacks: boolean;
}

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema };

export function notFound(id: string): AppError {
  return new AppError('ATTACHMENT_NOT_FOUND', `attachment ${id} does not exist`, { httpStatus: 404, details: { id } });
}

export const attachmentRoutes: FastifyPluginAsyncTypebox<AttachmentRoutesOptions> = async (app, opts) => {
  const { producer } = opts;

  app.post(
    '/v1/attachments',
    {
      schema: {
        summary: 'Enqueue one attachment',
        description:
          'Validates the request (everything the cloud would reject, before any cloud call) and enqueues it. 202 with the new ' +
          'attachment; 200 with the earlier one when the Idempotency-Key was seen with the same body; 409 with another body. ' +
          'A callback_url whose host is a loopback/private/link-local/metadata IP literal or localhost → 400 CALLBACK_URL_FORBIDDEN ' +
          '(unless WEBHOOK_ALLOW_PRIVATE; metadata addresses always). A callback_url while the service has no WEBHOOK_SECRET → 422 ' +
          'CALLBACK_URL_NOT_SIGNABLE. 503 REDIS_UNAVAILABLE: nothing was written; 503 OUTCOME_UNKNOWN: the write was sent but not ' +
          'confirmed — retry with the same Idempotency-Key.',
        tags: ['attachments'],
        headers: IdempotencyHeaders,
        body: AttachmentRequestSchema,
        response: { 200: AttachmentRecordSchema, 202: AttachmentRecordSchema, ...errors, 413: ErrorSchema, 415: ErrorSchema, 422: ErrorSchema },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      assertCallbackTargets(request.body, opts.allowPrivateCallbacks);
      const { attachment, created } = await producer.attach(request.body as AttachmentRequest, key === undefined ? {} : { idempotencyKey: key });
      if (created) opts.onAccepted?.(1);
      void reply.code(created ? 202 : 200).header('location', `/v1/attachments/${attachment.id}`);
      return attachment;
    },
  );

  app.get(
    '/v1/attachments/:id',
    {
      schema: {
        summary: 'One attachment record',
        tags: ['attachments'],
        params: AttachmentIdParams,
        response: { 200: AttachmentRecordSchema, ...errors },
      },
    },
    async (request) => {
      const record = await producer.get(request.params.id);
      if (!record) throw notFound(request.params.id);
      return record;
    },
  );

  app.get(
    '/v1/attachments',
    {
      schema: {
        summary: 'List attachments, newest first',
        description: 'Filters `status`, `server_id`, `batch_id`; `limit` (1–1000, default 50); pass `next_cursor` back as `cursor`.',
        tags: ['attachments'],
        querystring: ListQuerySchema,
        response: { 200: AttachmentListSchema, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      return producer.list({
        limit: q.limit ?? 50,
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.server_id === undefined ? {} : { server_id: q.server_id }),
        ...(q.batch_id === undefined ? {} : { batch_id: q.batch_id }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
    },
  );

  app.post(
    '/v1/attachments/:id/cancel',
    {
      schema: {
        summary: 'Cancel an attachment before it reaches the attach stage',
        description: 'Queued or running attachments at network, subnet or port are cancelled (event attachment.cancelled); later → 409.',
        tags: ['attachments'],
        params: AttachmentIdParams,
        response: { 200: AttachmentRecordSchema, ...errors },
      },
    },
    async (request) => producer.cancel(request.params.id),
  );
};
