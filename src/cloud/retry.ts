/**
 * The client's retry policy, in one place:
 * - GET (and only GET) is retried up to `getRetries` times on a retryable CloudError, after a short jittered
 *   backoff, or after Retry-After when throttled — unless that pause is longer than MAX_THROTTLE_PAUSE_MS,
 *   in which case the error goes up so the queue layer can pause the whole queue instead of holding a worker.
 * - POST is never retried here: creates carry no idempotency token (huawei-cloud-api.md §1.5), so only the
 *   caller, after looking the resource up, may try again.
 * - DELETE is not retried here either: the caller decides (a 404 on delete usually means "already gone").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../lib/backoff.js';
import type { CallOptions } from './client.js';
import { isCloudError } from './errors.js';
import type { Transport, WireRequest } from './transport.js';

export const GET_BACKOFF = { baseMs: 100, maxMs: 1_000, jitter: 0.5 } as const;
export const MAX_THROTTLE_PAUSE_MS = 5_000;

export interface RetryPolicy {
  getRetries: number;
  /** Jitter source (tests inject a fixed one). */
  random?: () => number;
}

export type Caller = <T>(req: WireRequest<T>, opts?: CallOptions) => Promise<T>;

export function createCaller(transport: Transport, policy: RetryPolicy): Caller {
  return async function call<T>(req: WireRequest<T>, opts: CallOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transport.send(req, opts);
      } catch (err) {
        const pause = retryPause(req.method, err, attempt, policy);
        if (pause === undefined || opts.signal?.aborted) throw err;
        try {
          await sleep(pause, undefined, opts.signal ? { signal: opts.signal } : undefined);
        } catch {
          throw err; // aborted while pausing: report what actually failed
        }
      }
    }
  };
}

/** How long to wait before the next attempt, or undefined when there must be none. */
export function retryPause(method: string, err: unknown, attempt: number, policy: RetryPolicy): number | undefined {
  if (method !== 'GET' || !isCloudError(err) || !err.retryable || err.code === 'CLOUD_ABORTED') return undefined;
  if (attempt > policy.getRetries) return undefined;
  if (err.retryAfterMs !== undefined) return err.retryAfterMs > MAX_THROTTLE_PAUSE_MS ? undefined : err.retryAfterMs;
  return backoffDelay(attempt, GET_BACKOFF, policy.random);
}
