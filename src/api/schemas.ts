/**
 * Schemas of the API's params, query strings, headers and responses (the request bodies live in
 * src/workflow/request/schema.ts, shared with the producer library). They validate input and document the
 * responses in the OpenAPI document; responses are serialized with JSON.stringify (see server.ts), so a
 * response schema never drops a field.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ATTACHMENT_STATUSES, STAGES, type AttachmentRecord } from '../workflow/types.js';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code, e.g. INVALID_CIDR, IDEMPOTENCY_KEY_REUSED, REDIS_UNAVAILABLE.' }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown(), { description: '`field` names the offending field; `index` the batch item.' }),
    }),
  },
  { title: 'Error' },
);

const StatusSchema = Type.Union(ATTACHMENT_STATUSES.map((s) => Type.Literal(s)), { 'x-error-code': 'INVALID_STATUS' });
const StageSchema = Type.Union(STAGES.map((s) => Type.Literal(s)));

export const AttachmentIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^att_[0-9a-fA-F-]{36}$', description: 'att_<uuid>', 'x-error-code': 'INVALID_ID' }) },
  { additionalProperties: false },
);

export const BatchIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^bat_[0-9a-fA-F-]{36}$', description: 'bat_<uuid>', 'x-error-code': 'INVALID_ID' }) },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Same key + same body → the same attachment (200); same key + another body → 409. Printable ASCII, ≤ 255.',
      'x-error-code': 'INVALID_IDEMPOTENCY_KEY',
    }),
  ),
});

export const ListQuerySchema = Type.Object(
  {
    status: Type.Optional(StatusSchema),
    server_id: Type.Optional(Type.String({ format: 'uuid', 'x-error-code': 'INVALID_UUID' })),
    batch_id: Type.Optional(Type.String({ pattern: '^bat_[0-9a-fA-F-]{36}$', 'x-error-code': 'INVALID_ID' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, 'x-error-code': 'INVALID_LIMIT' })),
    cursor: Type.Optional(Type.String({ maxLength: 512, description: 'The `next_cursor` of the previous page.' })),
  },
  { additionalProperties: false },
);
export type ListQueryString = Static<typeof ListQuerySchema>;

/**
 * The attachment record (design.md §1); open, because records grow fields as stages run. Typed as the
 * AttachmentRecord of src/workflow/types.ts (the JSON schema documents the main fields).
 */
export const AttachmentRecordSchema = Type.Unsafe<AttachmentRecord>(Type.Object(
  {
    id: Type.String(),
    status: StatusSchema,
    stage: StageSchema,
    server_id: Type.String(),
    request: Type.Record(Type.String(), Type.Unknown()),
    batch_id: Type.Optional(Type.String()),
    vpc_id: Type.Optional(Type.String()),
    subnet_id: Type.Optional(Type.String()),
    port_id: Type.Optional(Type.String()),
    nic_id: Type.Optional(Type.String()),
    ecs_job_id: Type.Optional(Type.String()),
    ip_address: Type.Optional(Type.String()),
    mac_address: Type.Optional(Type.String()),
    created_at: Type.String(),
    updated_at: Type.String(),
    finished_at: Type.Optional(Type.String()),
    error: Type.Optional(
      Type.Object({ code: Type.String(), message: Type.String(), stage: Type.String(), cloud_code: Type.Optional(Type.String()), request_id: Type.Optional(Type.String()) }),
    ),
  },
  { additionalProperties: true, title: 'Attachment' },
));

export const AttachmentListSchema = Type.Object({
  items: Type.Array(AttachmentRecordSchema),
  next_cursor: Type.Optional(Type.String({ description: 'Absent on the last page.' })),
});

export const BatchAcceptedSchema = Type.Object(
  { id: Type.String(), total: Type.Integer(), attachment_ids: Type.Array(Type.String()) },
  { title: 'BatchAccepted' },
);

export const BatchItemSchema = Type.Unsafe<Record<string, unknown>>(Type.Object(
  {
    id: Type.String(),
    status: StatusSchema,
    stage: StageSchema,
    server_id: Type.String(),
    ip_address: Type.Optional(Type.String()),
    nic_id: Type.Optional(Type.String()),
    port_id: Type.Optional(Type.String()),
    finished_at: Type.Optional(Type.String()),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true })),
  },
  { additionalProperties: true },
));

export const BatchViewSchema = Type.Object(
  {
    id: Type.String(),
    total: Type.Integer(),
    counts: Type.Record(Type.String(), Type.Integer(), { description: 'Items per status: queued, running, succeeded, failed, cancelled.' }),
    done: Type.Boolean({ description: 'True when every item has ended.' }),
    created_at: Type.String(),
    finished_at: Type.Optional(Type.String()),
    callback_url: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    items: Type.Array(BatchItemSchema),
  },
  { title: 'Batch' },
);

export const HealthSchema = Type.Object({ status: Type.String() });
export const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) })),
});
