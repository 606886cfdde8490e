/**
 * The client's retry policy, in one place:
 * - GET (and only GET) is retried up to `getRetries` times on a retryable CloudError, after a short jittered
 *   backoff.
 * - A throttled answer (429 / APIGW.0308), whatever the method, is first reported to `onThrottled` when the
 *   client has one (the workers plug in the shared per-project rate limiter, which then holds every worker's
 *   cloud calls for Retry-After). Such a client never sleep-retries a throttled answer itself: the error goes
 *   up at once, so the queue layer pauses the stage's queue (BullMQ rateLimit + RateLimitError) and the worker
 *   slot is not held asleep while the whole project is told to wait. Decision (issue 4): before, a GET slept
 *   out a Retry-After of up to 5 s inside the client — holding the slot and leaving the shared limit open, so
 *   every other worker kept calling into the throttle.
 *   A client without the hook (a tool, a test's own client: nobody else to pause) keeps the old rule: a GET
 *   sleeps out a Retry-After of up to MAX_THROTTLE_PAUSE_MS and tries again; a longer one goes up.
 * - POST is never retried here: creates carry no idempotency token (huawei-cloud-api.md §1.5), so only the
 *   caller, after looking the resource up, may try again.
 * - DELETE is not retried here either: the caller decides (a 404 on delete usually means "already gone").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../lib/backoff.js';
import { DEFAULT_RETRY_AFTER_MS } from './classify.js';
import type { CallOptions } from './client.js';
import { isCloudError } from './errors.js';
import type { Transport, WireRequest } from './transport.js';
import type { OperationName } from './types.js';

export const GET_BACKOFF = { baseMs: 100, maxMs: 1_000, jitter: 0.5 } as const;
export const MAX_THROTTLE_PAUSE_MS = 5_000;

/** Told of every throttled answer: how long the cloud asked to wait (Retry-After, or the default). */
export type ThrottleHook = (retryAfterMs: number, operation: OperationName) => Promise<void> | void;

export interface RetryPolicy {
  getRetries: number;
  /** Jitter source (tests inject a fixed one). */
  random?: () => number;
  /** Present: every throttled answer is reported here and goes up at once (never slept out in the client). */
  onThrottled?: ThrottleHook;
}

export type Caller = <T>(req: WireRequest<T>, opts?: CallOptions) => Promise<T>;

export function createCaller(transport: Transport, policy: RetryPolicy): Caller {
  return async function call<T>(req: WireRequest<T>, opts: CallOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transport.send(req, opts);
      } catch (err) {
        if (policy.onThrottled && isCloudError(err) && err.isThrottled) {
          try {
            await policy.onThrottled(err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, req.operation);
          } catch {
            // The pause could not be recorded (Redis away): the error still goes up, and the queue layer pauses.
          }
          throw err;
        }
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
  if (err.isThrottled && policy.onThrottled) return undefined;
  if (err.retryAfterMs !== undefined) return err.retryAfterMs > MAX_THROTTLE_PAUSE_MS ? undefined : err.retryAfterMs;
  return backoffDelay(attempt, GET_BACKOFF, policy.random);
}
