/**
 * The events role: the dispatcher (completion events stream → webhook deliveries) and the webhook delivery
 * worker. start() returns once the consumer group exists (so every event added from then on is dispatched)
 * and the worker runs; stop() aborts the dispatcher, closes the worker (active attempts finish) and the queue,
 * and closes what it opened. Several processes may run it at once: they share the group and the queue.
 */
import { Redis } from 'ioredis';
import type { Config } from '../../config/types.js';
import { createDeliveryStore, type DeliveryStore } from '../../events/deliveries.js';
import { createDeliveryRunner } from '../../events/delivery.js';
import { createDispatcher, type Dispatcher, type EventsLost } from '../../events/dispatcher.js';
import { createOutboundAgents, type Resolver } from '../../events/outbound-guard.js';
import { createSubscriptionStore, type SubscriptionStore } from '../../events/subscriptions.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { createWebhookQueue, type WebhookQueue } from '../../queues/webhook-queue.js';
import { createWebhookWorker } from '../../queues/webhook-worker.js';
import { createKeys } from '../../workflow/keys.js';

export interface EventsRoleDeps {
  logger: Logger;
  /** A command connection to share (maxRetriesPerRequest: null); the role opens and closes its own when absent. */
  redis?: Redis;
  clock?: Clock;
  resolve?: Resolver;
  /** Dispatcher tuning (tests shorten the reclaim idle time). */
  dispatcher?: { claimIdleMs?: number; blockMs?: number; consumer?: string };
  /** Events trimmed from the stream before they were dispatched (the app's metrics). */
  onEventsLost?: (kind: string, count: number) => void;
  /** Observer of every delivery attempt's outcome (the app's metrics: delivered, retry, dead, gone, …). */
  onDeliveryAttempt?: (outcome: string) => void;
}

export interface EventsRole {
  readonly name: 'events';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The parts, for the API (same stores) and tests. */
  readonly subscriptions: SubscriptionStore;
  readonly deliveries: DeliveryStore;
  readonly queue: WebhookQueue;
  readonly dispatcher: Dispatcher;
}

export function createEventsRole(config: Config, deps: EventsRoleDeps): EventsRole {
  const log = deps.logger.child({ role: 'events' });
  const ownRedis = deps.redis === undefined;
  const redis = deps.redis ?? new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const keys = createKeys(config.redis.prefix);
  const clock = deps.clock ? { clock: deps.clock } : {};
  const subscriptions = createSubscriptionStore({
    redis,
    keys,
    allowPrivate: config.webhook.allowPrivate,
    secretOverlapHours: config.webhook.secretOverlapHours,
    disableAfterHours: config.webhook.disableAfterHours,
    ...clock,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const deliveries = createDeliveryStore({ redis, keys, retentionDays: config.workflow.recordRetentionDays, ...clock });
  const agents = createOutboundAgents({ allowPrivate: config.webhook.allowPrivate });
  const baseRunner = createDeliveryRunner({
    webhook: config.webhook,
    deliveries,
    subscriptions,
    agents,
    logger: log,
    ...clock,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const observe = deps.onDeliveryAttempt;
  const runner: typeof baseRunner = observe
    ? {
        ...baseRunner,
        async attempt(deliveryId) {
          const outcome = await baseRunner.attempt(deliveryId);
          try {
            observe(outcome.kind === 'done' ? outcome.status : outcome.kind);
          } catch {
            // an observer never fails a delivery
          }
          return outcome;
        },
      }
    : baseRunner;
  const queue = createWebhookQueue({ connection: redis, prefix: config.redis.prefix, onError: (err) => log.warn({ err: err.message }, 'webhook queue error') });
  const onLost = deps.onEventsLost;
  const dispatcher = createDispatcher({
    redis,
    keys,
    subscriptions,
    deliveries,
    enqueue: queue.enqueue,
    logger: log,
    ...(onLost ? { onEventsLost: (loss: EventsLost) => onLost(loss.kind, loss.count ?? 1) } : {}),
    ...(deps.dispatcher ?? {}),
  });

  let worker: ReturnType<typeof createWebhookWorker> | undefined;
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  return {
    name: 'events',
    subscriptions,
    deliveries,
    queue,
    dispatcher,

    async start() {
      await dispatcher.ensureGroup();
      worker = createWebhookWorker({ connection: redis, prefix: config.redis.prefix, concurrency: config.workers.concurrency.webhook, runner, logger: log });
      abort = new AbortController();
      running = dispatcher.run(abort.signal).catch((err: unknown) => {
        log.error({ code: 'EVENT_DISPATCHER_STOPPED', error: err instanceof Error ? err.message : String(err) }, 'event dispatcher stopped on an error');
      });
      await worker.waitUntilReady();
      if (config.webhook.secret === '') {
        log.warn({ code: 'WEBHOOK_SECRET_MISSING' }, 'WEBHOOK_SECRET is not set: the API refuses callback_url (422 CALLBACK_URL_NOT_SIGNABLE); callback deliveries written otherwise cannot be signed and are dead-lettered');
      }
      log.info({ consumer: dispatcher.consumer }, 'events role started: dispatcher and webhook worker');
    },

    stop() {
      stopping ??= (async () => {
        abort?.abort();
        await running;
        await worker?.close();
        await queue.close();
        agents.destroy();
        if (ownRedis) await redis.quit().catch(() => redis.disconnect());
        log.info('events role stopped');
      })();
      return stopping;
    },
  };
}
