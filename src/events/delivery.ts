/**
 * One delivery attempt, and what follows it (the queue side, src/queues/webhook-worker.ts, only schedules):
 *   2xx            → delivered (a subscription's failing run is cleared)
 *   410            → gone; a subscription is disabled (a callback_url just stops)
 *   anything else  → retry after the next entry of webhook.retrySchedule ±15 % jitter, or Retry-After when
 *                    longer; after the last entry → dead (dead-letter list). A 3xx is a failure: redirects are
 *                    never followed. A subscription failing continuously for webhook.disableAfterHours is
 *                    disabled (its delivery goes dead, replayable).
 *   permanent      → dead at once: a URL that is not http(s), or whose host is an IP literal that is refused.
 * The attempt's timeout (webhook.timeoutMs) covers the whole attempt, the DNS check before sending included.
 * The body is the event JSON stored with the delivery; `webhook-id` is the event id on every attempt;
 * `webhook-timestamp` is the attempt time. Secrets never reach logs or delivery records.
 */
import fetch, { type Response } from 'node-fetch';
import type { Config } from '../config/types.js';
import { parseDurationList, parseRetryAfter } from '../lib/backoff.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { isAppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DeliveryStore } from './deliveries.js';
import { assertUrlAllowed, isIpLiteralHost, URL_FORBIDDEN, URL_INVALID, type OutboundAgents, type Resolver } from './outbound-guard.js';
import { signedHeaders } from './signing.js';
import type { SubscriptionStore } from './subscriptions.js';
import type { Delivery, DeliveryAttempt } from './types.js';

export const USER_AGENT = 'ecs-nic-attach-webhooks/1';
/** Longest Retry-After honoured; a receiver asking for more is retried after this. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
const JITTER = 0.15;
/** Added to the longest retry wait before two failures count as separate runs (queue lateness, clock skew). */
const RUN_GAP_MARGIN_MS = 3_600_000;

export type AttemptOutcome =
  | { kind: 'skip'; reason: string }
  | { kind: 'done'; status: 'delivered' | 'gone' | 'cancelled' | 'dead' }
  | { kind: 'retry'; delayMs: number };

export interface DeliveryRunner {
  attempt(deliveryId: string): Promise<AttemptOutcome>;
  /** The queue job failed for good (infrastructure errors): end a still-pending delivery as dead. */
  abandon(deliveryId: string, reason: string): Promise<void>;
}

export interface DeliveryRunnerDeps {
  webhook: Config['webhook'];
  deliveries: DeliveryStore;
  subscriptions: SubscriptionStore;
  agents: OutboundAgents;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  resolve?: Resolver;
}

/** The delay before attempt `failures + 1`, or undefined when the schedule is exhausted. */
export function retryDelay(schedule: readonly number[], failures: number, random: () => number, retryAfterMs?: number): number | undefined {
  const base = schedule[failures - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 + (random() * 2 - 1) * JITTER));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/**
 * The longest time between two failed attempts of a delivery that keeps failing: the longest schedule step with
 * its jitter, or a Retry-After up to its cap, plus the attempt timeout and a margin. Failures of a subscription
 * further apart than this are not one continuous failing run (SubscriptionStore.noteFailure): nothing was sent
 * in between, so nothing says the endpoint was down all that time.
 */
export function runGapMs(schedule: readonly number[], timeoutMs: number): number {
  const longestStep = Math.max(0, ...schedule) * (1 + JITTER);
  return Math.ceil(Math.max(longestStep, MAX_RETRY_AFTER_MS) + timeoutMs + RUN_GAP_MARGIN_MS);
}

/**
 * Whether a refused URL is refused for good. Not http(s): yes. Forbidden (a private, loopback… address): only when
 * the host is an IP literal, whose verdict cannot change; a name whose addresses are refused keeps the retry
 * schedule, since DNS can be repointed (a record being fixed, split-horizon DNS) — the connect-time check of the
 * agents refuses such names the same way. After WEBHOOK_ALLOW_PRIVATE is turned on, replay the dead ones.
 */
function permanentRefusal(code: string, url: string): boolean {
  if (code === URL_INVALID) return true;
  if (code !== URL_FORBIDDEN) return false;
  try {
    return isIpLiteralHost(new URL(url));
  } catch {
    return false;
  }
}

async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const body = res.body;
  if (!body) return '';
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      chunks.push(buf.subarray(0, Math.max(0, maxBytes - size)));
      size += buf.length;
      if (size >= maxBytes) break;
    }
  } catch {
    // A receiver that resets while we read its answer: the status code is what counts.
  } finally {
    // Stop reading (and drop the connection) when the body is longer than we keep.
    if (size >= maxBytes && 'destroy' in body && typeof body.destroy === 'function') body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface Sent {
  statusCode?: number;
  error?: string;
  retryAfterMs?: number;
  responseBody?: string;
  permanent?: boolean;
}

export function createDeliveryRunner(deps: DeliveryRunnerDeps): DeliveryRunner {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const schedule = parseDurationList(deps.webhook.retrySchedule);
  const maxGapMs = runGapMs(schedule, deps.webhook.timeoutMs);
  const log = deps.logger;

  const send = async (url: string, body: string, secrets: string[], eventId: string): Promise<Sent> => {
    // Started before the DNS check, which obeys it too: a resolver that never answers must not hold the attempt
    // (and its worker slot) past the timeout.
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), deps.webhook.timeoutMs);
    const timedOut = (): Sent => ({ error: `timed out after ${deps.webhook.timeoutMs} ms` });
    let parsed: URL;
    try {
      parsed = await assertUrlAllowed(url, { allowPrivate: deps.webhook.allowPrivate, signal: ctl.signal, ...(deps.resolve ? { resolve: deps.resolve } : {}) });
    } catch (err) {
      clearTimeout(timer);
      if (ctl.signal.aborted) return timedOut();
      const code = isAppError(err) ? err.code : URL_INVALID;
      const permanent = permanentRefusal(code, url);
      const message = err instanceof Error ? err.message : String(err);
      return { error: `${code}: ${message}${permanent && code === URL_FORBIDDEN ? ' (an IP address in the URL cannot change: not retried)' : ''}`, permanent };
    }
    try {
      // Inside the try: whatever throws from here on (signing included) still clears the attempt's timer.
      const headers = { ...signedHeaders(secrets, eventId, Math.floor(clock.now() / 1000), body), 'user-agent': USER_AGENT };
      const res = await fetch(parsed.toString(), {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        agent: deps.agents.agentFor(parsed),
        signal: ctl.signal,
        compress: false,
      });
      const responseBody = await readLimited(res, deps.webhook.maxResponseBytes);
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), clock.now());
      return {
        statusCode: res.status,
        responseBody,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        ...(res.status >= 200 && res.status < 300 ? {} : { error: res.status >= 300 && res.status < 400 ? `HTTP ${res.status} (redirects are not followed)` : `HTTP ${res.status}` }),
      };
    } catch (err) {
      if (ctl.signal.aborted) return timedOut();
      const e = err as { code?: string; message?: string };
      return { error: e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err)) };
    } finally {
      clearTimeout(timer);
    }
  };

  /** The secrets to sign with, or an outcome when this delivery cannot go out. */
  const secretsFor = async (d: Delivery): Promise<string[] | { status: 'cancelled' | 'dead'; reason: string }> => {
    if (d.target === 'callback') {
      if (deps.webhook.secret === '') return { status: 'dead', reason: 'WEBHOOK_SECRET is not set: callback_url deliveries cannot be signed' };
      return [deps.webhook.secret];
    }
    const sub = d.subscription_id ? await deps.subscriptions.getFull(d.subscription_id) : undefined;
    if (!sub) return { status: 'cancelled', reason: 'the subscription was deleted' };
    if (!sub.enabled) return { status: 'cancelled', reason: `the subscription is disabled (${sub.disabled_reason ?? 'no reason recorded'})` };
    return deps.subscriptions.activeSecrets(sub);
  };

  return {
    async attempt(deliveryId) {
      const d = await deps.deliveries.get(deliveryId);
      if (!d) return { kind: 'skip', reason: 'no such delivery (expired?)' };
      if (d.status !== 'pending') return { kind: 'skip', reason: `delivery is ${d.status}` };
      const dlog = log.child({ delivery_id: d.id, event_id: d.event_id, subscription_id: d.subscription_id, attempt: d.attempt_count + 1, series: d.series });

      const secrets = await secretsFor(d);
      if (!Array.isArray(secrets)) {
        await deps.deliveries.finish(d.id, secrets.status, secrets.reason);
        dlog.warn({ code: 'WEBHOOK_DELIVERY_STOPPED', status: secrets.status }, `delivery stopped: ${secrets.reason}`);
        return { kind: 'done', status: secrets.status };
      }
      const payload = await deps.deliveries.payload(d.id);
      if (payload === undefined) return { kind: 'skip', reason: 'delivery payload missing' };

      const started = clock.now();
      const t0 = performance.now();
      const sent = await send(d.url, payload, secrets, d.event_id);
      const attempt: DeliveryAttempt = {
        at: new Date(started).toISOString(),
        series: d.series,
        duration_ms: Math.round(performance.now() - t0),
        ...(sent.statusCode === undefined ? {} : { status_code: sent.statusCode }),
        ...(sent.error === undefined ? {} : { error: sent.error }),
        ...(sent.responseBody ? { response_body: sent.responseBody } : {}),
      };
      const code = sent.statusCode;

      if (code !== undefined && code >= 200 && code < 300) {
        await deps.deliveries.recordAttempt(d.id, attempt, { status: 'delivered' });
        if (d.subscription_id) await deps.subscriptions.noteSuccess(d.subscription_id);
        dlog.info({ status_code: code, duration_ms: attempt.duration_ms }, 'webhook delivered');
        return { kind: 'done', status: 'delivered' };
      }
      if (code === 410) {
        await deps.deliveries.recordAttempt(d.id, attempt, { status: 'gone' }, sent.error);
        if (d.subscription_id) await deps.subscriptions.disable(d.subscription_id, `receiver answered 410 Gone at ${attempt.at}`);
        dlog.warn({ code: 'WEBHOOK_GONE', status_code: code }, d.subscription_id ? 'receiver answered 410: subscription disabled' : 'receiver answered 410: callback delivery stopped');
        return { kind: 'done', status: 'gone' };
      }

      const failures = d.attempt_count + 1;
      const disabled = d.subscription_id ? await deps.subscriptions.noteFailure(d.subscription_id, { maxGapMs }) : false;
      const delayMs = sent.permanent || disabled ? undefined : retryDelay(schedule, failures, random, sent.retryAfterMs);
      if (delayMs === undefined) {
        await deps.deliveries.recordAttempt(d.id, attempt, { status: 'dead' }, sent.error);
        dlog.warn({ code: 'WEBHOOK_DEAD', status_code: code, error: sent.error, subscription_disabled: disabled }, 'webhook delivery exhausted its retries: dead-lettered');
        return { kind: 'done', status: 'dead' };
      }
      const next = new Date(clock.now() + delayMs).toISOString();
      await deps.deliveries.recordAttempt(d.id, attempt, { status: 'pending', next_attempt_at: next }, sent.error);
      dlog.info({ code: 'WEBHOOK_ATTEMPT_FAILED', status_code: code, error: sent.error, retry_in_ms: delayMs }, 'webhook attempt failed; will retry');
      return { kind: 'retry', delayMs };
    },

    async abandon(deliveryId, reason) {
      const d = await deps.deliveries.get(deliveryId);
      if (d?.status !== 'pending') return;
      await deps.deliveries.finish(deliveryId, 'dead', reason);
      log.error({ code: 'WEBHOOK_JOB_FAILED', delivery_id: deliveryId, error: reason }, 'webhook job failed for good: delivery dead-lettered');
    },
  };
}
