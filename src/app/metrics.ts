/**
 * The process's Prometheus metrics (prom-client), served at /metrics by the API (and by the small metrics
 * server of worker-only processes, ./metrics-server.ts). The lower layers know nothing of prom-client: they
 * take optional callbacks, and this module supplies them (`hooks`).
 *
 * Counted as it happens, in this process:
 *   nic_attach_cloud_calls_total{operation,outcome,status}   every HTTP attempt to the cloud (outcome ok or the
 *                                                            error code; status "429" = throttled)
 *   nic_attach_cloud_throttled_total{operation}              429 / APIGW.0308 answers
 *   nic_attach_cloud_call_duration_seconds{operation}
 *   nic_attach_stage_duration_seconds{stage,outcome}         a stage's wall time (waits included) when it ends
 *   nic_attach_ecs_polls_per_attachment                      ShowJob polls of an attachment, at its end
 *   nic_attach_attachments_finished_total{status,code}       terminal transitions this process made
 *   nic_attach_webhook_deliveries_total{outcome}             delivery attempts (delivered, retry, dead, gone, …)
 *   nic_attach_events_lost_total{kind}                       events trimmed from the stream before delivery
 * Read from Redis on each scrape (the same for every process, so aggregate with max, not sum):
 *   nic_attach_attachments{status}                           records per status (within the record retention)
 *   nic_attach_queue_jobs{queue,state}                       BullMQ job counts of every queue
 *   nic_attach_worker_processes                              worker processes with a fresh heartbeat
 * Plus prom-client's default process metrics, among them the event-loop lag (nodejs_eventloop_lag_seconds
 * and its percentiles, from monitorEventLoopDelay).
 */
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallMeta } from '../cloud/client.js';
import type { Logger } from '../lib/logger.js';
import type { QueueInspector } from '../queues/queue-inspector.js';
import type { Keys } from '../workflow/keys.js';
import { ATTACHMENT_STATUSES } from '../workflow/types.js';

export interface StageEnd {
  stage: string;
  /** How the stage ended: next (handed on), succeeded, failed. */
  outcome: string;
  durationMs: number;
}

export interface AttachmentEnd {
  status: string;
  /** ShowJob polls the attachment took (undefined when it never reached the poll stage). */
  pollCount: number | undefined;
  errorCode: string | undefined;
}

export interface MetricsHooks {
  onCloudCall(meta: CallMeta): void;
  onStageEnd(e: StageEnd): void;
  onAttachmentEnd(e: AttachmentEnd): void;
  /** A webhook delivery attempt ended with this outcome (delivered, retry, dead, gone, cancelled, skip). */
  onWebhookAttempt(outcome: string): void;
  /** Events trimmed from the stream before the dispatcher delivered them (kind unread or pending). */
  onEventsLost(kind: string, count: number): void;
}

export interface AppMetrics {
  readonly registry: Registry;
  readonly hooks: MetricsHooks;
}

export interface AppMetricsDeps {
  /** A command connection for the scrape-time reads. */
  redis: Redis;
  keys: Keys;
  /** Job counts of every queue, for nic_attach_queue_jobs. */
  inspector: Pick<QueueInspector, 'jobCounts'>;
  /** Live worker processes (heartbeats), for nic_attach_worker_processes. */
  workerProcesses?: () => Promise<number>;
  logger: Logger;
  /** Default: a fresh registry. */
  registry?: Registry;
  /** prom-client's default process metrics (default true; tests that build several registries turn it off). */
  defaultMetrics?: boolean;
}

const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const CALL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];
const POLL_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50];

export function createAppMetrics(deps: AppMetricsDeps): AppMetrics {
  const registry = deps.registry ?? new Registry();
  const registers = [registry];
  if (deps.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const cloudCalls = new Counter({
    name: 'nic_attach_cloud_calls_total',
    help: 'Cloud API HTTP attempts by operation, outcome (ok or the error code) and HTTP status ("none" = no answer).',
    labelNames: ['operation', 'outcome', 'status'],
    registers,
  });
  const throttled = new Counter({ name: 'nic_attach_cloud_throttled_total', help: 'Cloud answers 429 / APIGW.0308 (throttled), by operation.', labelNames: ['operation'], registers });
  const callDuration = new Histogram({ name: 'nic_attach_cloud_call_duration_seconds', help: 'Duration of one cloud API HTTP attempt, by operation.', labelNames: ['operation'], buckets: CALL_BUCKETS, registers });
  const stageDuration = new Histogram({
    name: 'nic_attach_stage_duration_seconds',
    help: 'Wall time of a stage from its start to its end (waits and retries included), by stage and how it ended.',
    labelNames: ['stage', 'outcome'],
    buckets: STAGE_BUCKETS,
    registers,
  });
  const polls = new Histogram({ name: 'nic_attach_ecs_polls_per_attachment', help: 'ShowJob polls one attachment took, observed when it ends.', buckets: POLL_BUCKETS, registers });
  const finished = new Counter({
    name: 'nic_attach_attachments_finished_total',
    help: 'Terminal transitions made by this process, by status and error code ("none" on success).',
    labelNames: ['status', 'code'],
    registers,
  });
  const webhooks = new Counter({ name: 'nic_attach_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome.', labelNames: ['outcome'], registers });
  const eventsLost = new Counter({
    name: 'nic_attach_events_lost_total',
    help: 'Completion events trimmed from the stream (EVENTS_STREAM_MAXLEN) before webhooks were dispatched for them.',
    labelNames: ['kind'],
    registers,
  });

  const warn = (what: string) => (err: unknown) => deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, `metrics: could not read ${what}`);

  new Gauge({
    name: 'nic_attach_attachments',
    help: 'Attachment records by status (finished ones within the record retention). Read from Redis at scrape time.',
    labelNames: ['status'],
    registers,
    async collect() {
      try {
        const pipe = deps.redis.pipeline();
        for (const s of ATTACHMENT_STATUSES) pipe.zcard(deps.keys.byStatus(s));
        const res = (await pipe.exec()) ?? [];
        ATTACHMENT_STATUSES.forEach((s, i) => {
          const [err, n] = res[i] ?? [null, 0];
          if (!err) this.set({ status: s }, Number(n));
        });
      } catch (err) {
        warn('attachment counts')(err);
      }
    },
  });
  new Gauge({
    name: 'nic_attach_queue_jobs',
    help: 'Jobs per queue and state (BullMQ getJobCounts). Read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      try {
        const counts = await deps.inspector.jobCounts();
        for (const [queue, states] of Object.entries(counts)) {
          for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
        }
      } catch (err) {
        warn('queue depths')(err);
      }
    },
  });
  if (deps.workerProcesses) {
    const live = deps.workerProcesses;
    new Gauge({
      name: 'nic_attach_worker_processes',
      help: 'Worker processes whose heartbeat is fresh (they run and take jobs).',
      registers,
      async collect() {
        try {
          this.set(await live());
        } catch (err) {
          warn('worker heartbeats')(err);
        }
      },
    });
  }

  return {
    registry,
    hooks: {
      onCloudCall(meta) {
        cloudCalls.inc({ operation: meta.operation, outcome: meta.outcome, status: meta.status === undefined ? 'none' : String(meta.status) });
        if (meta.status === 429 || meta.outcome === 'CLOUD_THROTTLED') throttled.inc({ operation: meta.operation });
        callDuration.observe({ operation: meta.operation }, meta.durationMs / 1000);
      },
      onStageEnd(e) {
        stageDuration.observe({ stage: e.stage, outcome: e.outcome }, Math.max(0, e.durationMs) / 1000);
      },
      onAttachmentEnd(e) {
        finished.inc({ status: e.status, code: e.errorCode ?? 'none' });
        if (e.pollCount !== undefined && e.pollCount > 0) polls.observe(e.pollCount);
      },
      onWebhookAttempt(outcome) {
        webhooks.inc({ outcome });
      },
      onEventsLost(kind, count) {
        eventsLost.inc({ kind }, count);
      },
    },
  };
}
