/**
 * What the queue layer does with an error a stage threw (pure; unit-tested by table):
 * - throttled (429 / APIGW.0308): pause for Retry-After — the shared rate limiter and this queue — and put
 *   the job back without burning an attempt;
 * - retryable (network, timeout, 5xx, busy codes; and anything that is not an AppError, such as a Redis
 *   hiccup): let BullMQ retry with backoff — unless this was the last attempt, then fail the attachment with
 *   the error's code;
 * - anything else (a 4xx, a WorkflowError): fail the attachment at once.
 */
import { isCloudError } from '../cloud/errors.js';
import { AppError, isAppError } from '../lib/errors.js';
import { DEFAULT_RETRY_AFTER_MS } from '../cloud/classify.js';

export type ErrorDecision =
  | { action: 'throttle'; pauseMs: number; error: AppError }
  | { action: 'retry'; error: AppError }
  | { action: 'fail'; error: AppError; exhausted: boolean };

export function decideOnError(err: unknown, attempt: number, maxAttempts: number): ErrorDecision {
  if (isCloudError(err) && err.isThrottled) {
    return { action: 'throttle', pauseMs: err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, error: err };
  }
  const error = isAppError(err) ? err : new AppError('INTERNAL', err instanceof Error ? err.message : String(err), { retryable: true, cause: err });
  if (!error.retryable) return { action: 'fail', error, exhausted: false };
  if (attempt >= maxAttempts) return { action: 'fail', error, exhausted: true };
  return { action: 'retry', error };
}
