/**
 * Request validation shared by the HTTP API and the producer library: the schema (structure, types, OpenAPI)
 * and then the semantic checks. A request that passes is what the workflow accepts; one that fails throws a
 * ValidationError whose code is the first problem's and whose `details` name the field (and, in a batch, the
 * item index), with the full list under `details.errors`. Nothing is stored before this passes.
 */
import { AppError, ValidationError } from '../../lib/errors.js';
import type { AttachmentRequest } from '../types.js';
import { AttachmentRequestSchema, BatchRequestSchema, type AttachmentRequestBody, type BatchRequestBody } from './schema.js';
import { checkMetadata, semanticProblems } from './semantic.js';
import { createStructuralValidator, type FieldProblem, type StructuralValidator } from './structural.js';

export * from './schema.js';
export { canonicalJson, requestHash } from './canonical.js';
export { isHttpUrl } from './formats.js';
export { createStructuralValidator, pointerToField, type FieldProblem, type StructuralValidator } from './structural.js';

/** Most problems listed in one error's details (the first is the one the code and message name). */
const MAX_LISTED = 20;

let attachmentValidator: StructuralValidator | undefined;
let batchValidator: StructuralValidator | undefined;

declare const validatedBrand: unique symbol;
/**
 * A batch body that validateBatchRequest accepted, and only that: the type of the producer's entry point that
 * skips validation (attachBatchValidated), so a body that was never validated cannot reach it by mistake.
 */
export type ValidatedBatchRequest = BatchRequestBody & { readonly [validatedBrand]: true };
/** The bodies validateBatchRequest accepted (weakly held: they go when the request does). */
const validatedBatches = new WeakSet<object>();

/**
 * The body as a ValidatedBatchRequest when validateBatchRequest accepted this very object (the API's validator
 * compiler runs it and fastify hands the same object to the route), else undefined. A body changed after its
 * validation is the caller's to answer for: the API's routes never change one.
 */
export function validatedBatchOf(body: unknown): ValidatedBatchRequest | undefined {
  return typeof body === 'object' && body !== null && validatedBatches.has(body) ? (body as ValidatedBatchRequest) : undefined;
}

function itemIndex(field: string): number | undefined {
  const m = /^items\[(\d+)\]/.exec(field);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The ValidationError for a list of problems (at least one). */
export function problemsToError(problems: FieldProblem[], what = 'request'): ValidationError {
  const first = problems[0];
  if (!first) return new ValidationError(`invalid ${what}`);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  const index = itemIndex(first.field);
  return new ValidationError(
    `invalid ${what}: ${first.message}${more}`,
    {
      field: first.field,
      ...(index === undefined ? {} : { index }),
      errors: problems.slice(0, MAX_LISTED),
    },
    first.code,
  );
}

function prefixed(problems: FieldProblem[], prefix: string): FieldProblem[] {
  return problems.map((p) => ({ ...p, field: `${prefix}.${p.field}`, message: `${prefix}.${p.message}` }));
}

/** Validate one attachment request (schema, then semantics). Returns it typed; throws ValidationError. */
export function validateAttachmentRequest(input: unknown): AttachmentRequest {
  attachmentValidator ??= createStructuralValidator(AttachmentRequestSchema);
  const structural = attachmentValidator(input);
  if (structural.length > 0) throw problemsToError(structural);
  const request = input as AttachmentRequest;
  const semantic = semanticProblems(request);
  if (semantic.length > 0) throw problemsToError(semantic);
  return request;
}

export interface BatchLimits {
  maxItems: number;
}

/** The 413 for a batch over the limit, thrown before its items are even looked at. */
export function batchTooLarge(count: number, maxItems: number): AppError {
  return new AppError('BATCH_TOO_LARGE', `a batch holds at most ${maxItems} items, got ${count}`, {
    httpStatus: 413,
    details: { field: 'items', max_items: maxItems, items: count },
  });
}

/**
 * Validate a batch as a whole: one bad item rejects it (the error names the item index). Over `maxItems` → 413
 * BATCH_TOO_LARGE before anything else.
 */
export function validateBatchRequest(input: unknown, limits: BatchLimits): ValidatedBatchRequest {
  const items = (input as { items?: unknown } | null)?.items;
  if (Array.isArray(items) && items.length > limits.maxItems) throw batchTooLarge(items.length, limits.maxItems);
  batchValidator ??= createStructuralValidator(BatchRequestSchema);
  const structural = batchValidator(input);
  if (structural.length > 0) throw problemsToError(structural, 'batch');
  const batch = input as BatchRequestBody;
  const problems: FieldProblem[] = [];
  batch.items.forEach((item, i) => {
    problems.push(...prefixed(semanticProblems(item as AttachmentRequest), `items[${i}]`));
  });
  checkMetadata(problems, 'metadata', batch.metadata);
  if (problems.length > 0) throw problemsToError(problems, 'batch');
  validatedBatches.add(batch);
  return batch as ValidatedBatchRequest;
}

/** Compile-time guard: what the schema accepts is an AttachmentRequest of src/workflow/types.ts. */
type SchemaMatchesTypes = AttachmentRequestBody extends AttachmentRequest ? true : never;
export const SCHEMA_MATCHES_TYPES: SchemaMatchesTypes = true;
