/**
 * Webhook subscriptions and deliveries (docs/glossary.md: "delivery" = one event sent to one target, with all
 * its attempts). Field names are snake_case like the HTTP API that returns them.
 */
import type { EventType } from '../workflow/types.js';

export interface SubscriptionSecret {
  secret: string;
  created_at: string;
  /** Set on the previous secret by a rotation: it keeps signing until then. */
  expires_at?: string;
}

export interface Subscription {
  id: string;
  url: string;
  /** Event types delivered; empty = all. */
  events: EventType[];
  description: string;
  enabled: boolean;
  created_at: string;
  disabled_at?: string;
  disabled_reason?: string;
  /**
   * Start of the current run of failed attempts: cleared by a success, restarted when the previous failure is
   * older than the longest retry wait (the run was not continuous); drives disableAfterHours.
   */
  failing_since?: string;
  secrets: SubscriptionSecret[];
}

/** What the API returns: never the secrets. */
export type PublicSubscription = Omit<Subscription, 'secrets'>;

/**
 * pending   — queued or waiting for its next attempt
 * delivered — a 2xx answer ended it
 * gone      — the receiver answered 410 (a subscription is disabled by it)
 * cancelled — its subscription was deleted or disabled before it could be delivered
 * dead      — retries exhausted (or a permanent error): in the dead-letter list, can be replayed
 */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'gone', 'cancelled', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type DeliveryTarget = 'subscription' | 'callback';

export interface DeliveryAttempt {
  at: string;
  /** Which attempt series (0 = the first; each replay starts a new one). */
  series: number;
  status_code?: number;
  duration_ms: number;
  error?: string;
  /** The start of the receiver's answer, up to webhook.maxResponseBytes. */
  response_body?: string;
}

export interface Delivery {
  /** `${event_id}.${target_id}`: deterministic, so dispatching an event twice creates it once. */
  id: string;
  event_id: string;
  event_type: EventType;
  target: DeliveryTarget;
  subscription_id?: string;
  url: string;
  status: DeliveryStatus;
  /** Attempt series: 0, then +1 per replay. The queue job id derives from (id, series). */
  series: number;
  /** Attempts made in the current series. */
  attempt_count: number;
  created_at: string;
  updated_at: string;
  next_attempt_at?: string;
  finished_at?: string;
  last_error?: string;
  attempts: DeliveryAttempt[];
}

/** The job of the webhook queue: the delivery id only; the delivery record holds the rest. */
export interface WebhookJobData {
  delivery_id: string;
}

/** Puts (delivery, series) on the webhook queue, idempotently. Implemented by src/queues/webhook-queue.ts. */
export type EnqueueDelivery = (deliveryId: string, series: number) => Promise<void>;
