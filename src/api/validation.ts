/**
 * Fastify's validator compiler, backed by the request module instead of Ajv: the attachment and batch bodies
 * get the full validation (schema + semantic checks, the same functions the producer library runs; the batch
 * route then hands the very body validateBatchRequest accepted to producer.attachBatchValidated, so 1,000 items
 * are not validated twice), everything else (params, query strings, other bodies) the structural check of its
 * TypeBox schema. Query strings and params arrive as strings, so they are converted to the schema's types first
 * (`limit=10` → 10).
 * Failures are ValidationErrors (or the 413 BATCH_TOO_LARGE), which the error handler renders as they are.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { toAppError } from '../lib/errors.js';
import {
  createStructuralValidator,
  problemsToError,
  validateAttachmentRequest,
  validateBatchRequest,
} from '../workflow/request/index.js';

export interface ValidationSettings {
  batchMaxItems: number;
}

type Result = { value: unknown } | { error: Error };

function attempt(fn: () => unknown): Result {
  try {
    return { value: fn() };
  } catch (err) {
    return { error: toAppError(err) };
  }
}

export function createValidatorCompiler(settings: ValidationSettings): FastifySchemaCompiler<TSchema> {
  return ({ schema, httpPart }) => {
    const title = (schema as { title?: unknown }).title;
    if (httpPart === 'body' && title === 'AttachmentRequest') return (data: unknown) => attempt(() => validateAttachmentRequest(data));
    if (httpPart === 'body' && title === 'BatchRequest') {
      return (data: unknown) => attempt(() => validateBatchRequest(data, { maxItems: settings.batchMaxItems }));
    }
    const check = createStructuralValidator(schema);
    const convert = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
    const what = httpPart === 'querystring' ? 'query' : httpPart === 'body' ? 'request' : (httpPart ?? 'request');
    return (data: unknown) => {
      const value = convert && data !== null && typeof data === 'object' ? Value.Convert(schema, data) : data;
      const problems = check(value);
      return problems.length === 0 ? { value } : { error: problemsToError(problems, what) };
    };
  };
}
