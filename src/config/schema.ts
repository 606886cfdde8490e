/**
 * The one configuration schema (convict). Every key has a doc, a format, a default and an env var; keys and
 * secrets are `sensitive` (convict masks them in toString()). Env var names follow design.md §4 and, for cloud
 * credentials, the official Huawei Cloud SDK's names. docs/configuration.md is generated from this file
 * (`npm run docs:config`).
 */
import type { Config } from './types.js';

type Leaf = { doc: string; format: unknown; default: unknown; env: string; sensitive?: boolean; arg?: string };
type SchemaOf<T> = { [K in keyof T]: T[K] extends Record<string, unknown> ? (T[K] extends unknown[] ? Leaf : SchemaOf<T[K]> | Leaf) : Leaf };

const concurrency = (queue: string, def: number): Leaf => ({
  doc: `Jobs of the ${queue} queue one worker process runs at once.`,
  format: 'positive-int',
  default: def,
  env: `WORKER_CONCURRENCY_${queue.toUpperCase()}`,
});

export const schema: SchemaOf<Omit<Config, 'emulator'>> & { emulator: SchemaOf<Omit<Config['emulator'], 'credentialsDefaulted'>> } = {
  env: {
    doc: 'Which config/<APP_ENV>.json overlay applies.',
    format: ['development', 'test', 'production', 'docker'],
    default: 'development',
    env: 'APP_ENV',
  },
  ci: {
    doc: 'Set by CI systems (CI=true): no live progress bars in the CLI and the demo, plain lines instead.',
    format: 'env-flag',
    default: false,
    env: 'CI',
  },
  log: {
    level: {
      doc: 'pino log level.',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'LOG_LEVEL',
    },
    pretty: {
      doc: 'Pretty-print logs: true, false, or auto (only when stdout is a TTY).',
      format: ['auto', 'true', 'false'],
      default: 'auto',
      env: 'LOG_PRETTY',
    },
  },
  redis: {
    url: { doc: 'Redis connection URL (queues, records, events).', format: 'redis-url', default: 'redis://127.0.0.1:6379', env: 'REDIS_URL' },
    prefix: {
      doc: 'Prefix of every Redis key of this service (BullMQ prefix too). Use a hash tag such as {nicattach} on Redis Cluster.',
      format: 'queue-prefix',
      default: 'nicattach',
      env: 'QUEUE_PREFIX',
    },
  },
  cloud: {
    ak: { doc: 'Huawei Cloud access key (AK). Empty with no token = use the embedded emulator.', format: String, default: '', env: 'HUAWEICLOUD_SDK_AK', sensitive: true },
    sk: { doc: 'Huawei Cloud secret key (SK).', format: String, default: '', env: 'HUAWEICLOUD_SDK_SK', sensitive: true },
    securityToken: {
      doc: 'Security token of temporary AK/SK (STS); sent and signed as X-Security-Token.',
      format: String,
      default: '',
      env: 'HUAWEICLOUD_SDK_SECURITY_TOKEN',
      sensitive: true,
    },
    authToken: {
      doc: 'IAM token (X-Auth-Token), an alternative to AK/SK signing. Project-scoped, valid 24 h.',
      format: String,
      default: '',
      env: 'HUAWEICLOUD_AUTH_TOKEN',
      sensitive: true,
    },
    projectId: { doc: 'IAM project id (32 hex) of the region.', format: 'project-id-or-empty', default: '', env: 'HUAWEICLOUD_SDK_PROJECT_ID' },
    region: { doc: 'Region; endpoints default to https://{ecs,vpc}.{region}.myhuaweicloud.com.', format: 'region', default: 'cn-north-4', env: 'HUAWEICLOUD_REGION' },
    ecsEndpoint: { doc: 'ECS endpoint override (empty = derived from the region).', format: 'http-url-or-empty', default: '', env: 'HUAWEICLOUD_ECS_ENDPOINT' },
    vpcEndpoint: { doc: 'VPC endpoint override (empty = derived from the region).', format: 'http-url-or-empty', default: '', env: 'HUAWEICLOUD_VPC_ENDPOINT' },
    timeoutMs: { doc: 'Timeout of one cloud HTTP request, in ms.', format: 'positive-int', default: 15_000, env: 'CLOUD_TIMEOUT_MS' },
    getRetries: { doc: 'Immediate retries of a GET on a retryable error (POSTs are never retried blindly).', format: 'non-negative-int', default: 2, env: 'CLOUD_GET_RETRIES' },
    rateLimitRps: { doc: 'Cloud calls per second shared by all workers of a project.', format: 'positive-number', default: 50, env: 'CLOUD_RATE_LIMIT_RPS' },
  },
  api: {
    host: { doc: 'Address the HTTP API listens on.', format: String, default: '127.0.0.1', env: 'API_HOST' },
    port: { doc: 'Port of the HTTP API.', format: 'tcp-port', default: 8080, env: 'API_PORT' },
    keys: { doc: 'API keys accepted as "Authorization: Bearer <key>" (comma-separated).', format: 'string-list', default: [], env: 'API_KEYS', sensitive: true },
    idempotencyTtlHours: { doc: 'How long an Idempotency-Key is remembered, in hours.', format: 'positive-number', default: 24, env: 'IDEMPOTENCY_TTL_HOURS' },
    batchMaxItems: {
      doc: 'Most items one batch may hold. POST /v1/batches accepts bodies up to BATCH_MAX_ITEMS × 12 KiB + 16 KiB (at most 64 MiB, at least API_BODY_LIMIT_BYTES), room for that many items at every field limit.',
      format: 'positive-int',
      default: 1000,
      env: 'BATCH_MAX_ITEMS',
    },
    bodyLimitBytes: { doc: 'Largest request body accepted, in bytes (POST /v1/batches: see BATCH_MAX_ITEMS).', format: 'positive-int', default: 2_097_152, env: 'API_BODY_LIMIT_BYTES' },
  },
  workflow: {
    stageAttempts: { doc: 'Attempts of a stage on retryable errors before the attachment fails.', format: 'positive-int', default: 10, env: 'STAGE_ATTEMPTS' },
    backoffBaseMs: { doc: 'First retry delay of a stage, in ms (doubles, with jitter).', format: 'positive-int', default: 500, env: 'STAGE_BACKOFF_BASE_MS' },
    backoffMaxMs: { doc: 'Longest retry delay of a stage, in ms.', format: 'positive-int', default: 30_000, env: 'STAGE_BACKOFF_MAX_MS' },
    ecsJobDeadlineMs: { doc: 'Overall deadline of one ECS job before the attachment fails with ECS_JOB_TIMEOUT, in ms.', format: 'positive-int', default: 600_000, env: 'ECS_JOB_DEADLINE_MS' },
    pollMinDelayMs: { doc: 'Shortest delay between two ShowJob polls, in ms.', format: 'positive-int', default: 250, env: 'POLL_MIN_DELAY_MS' },
    pollMaxDelayMs: { doc: 'Longest delay between two ShowJob polls, in ms.', format: 'positive-int', default: 10_000, env: 'POLL_MAX_DELAY_MS' },
    pollInitialExpectedMs: { doc: 'Expected ECS job duration before any has been observed, in ms.', format: 'positive-int', default: 5_000, env: 'POLL_INITIAL_EXPECTED_MS' },
    pollTargetLagMs: {
      doc: 'Mean delay aimed at between an ECS job ending and the poller seeing it, in ms; the learned schedule spends as few ShowJob calls as it can for it.',
      format: 'positive-int',
      default: 1_000,
      env: 'POLL_TARGET_LAG_MS',
    },
    waitDelayMs: { doc: 'Delay before re-checking a VPC/subnet that is not ready or a held server lease, in ms.', format: 'positive-int', default: 1_000, env: 'STAGE_WAIT_DELAY_MS' },
    serverLeaseTtlMs: { doc: 'Expiry of the per-server attach lease, in ms (renewed while held).', format: 'positive-int', default: 30_000, env: 'SERVER_LEASE_TTL_MS' },
    lockTtlMs: { doc: 'Expiry of the per-key find-or-create lock (subnet), in ms; renewed every third of it while held.', format: 'positive-int', default: 30_000, env: 'CREATE_LOCK_TTL_MS' },
    reconcileIntervalMs: {
      doc: 'How often one workers process looks for attachments whose stage job (queued/running) or cleanup job (failed/cancelled) was lost in a crash, and adds it again, in ms.',
      format: 'positive-int',
      default: 30_000,
      env: 'RECONCILE_INTERVAL_MS',
    },
    reconcileAfterMs: { doc: 'Only attachments unchanged for this long are repaired by the reconciler, in ms.', format: 'positive-int', default: 60_000, env: 'RECONCILE_AFTER_MS' },
    recordRetentionDays: { doc: 'How long finished attachment records are kept, in days.', format: 'positive-int', default: 7, env: 'RECORD_RETENTION_DAYS' },
    cleanupDeleteNetworks: {
      doc: 'On a terminal failure, also delete a subnet the attachment created when no port and no other live attachment uses it.',
      format: 'true-false',
      default: false,
      env: 'CLEANUP_DELETE_NETWORKS',
    },
    defaultSecurityGroupIds: { doc: 'Security groups given to a new port when the request names none (empty = the cloud default).', format: 'string-list', default: [], env: 'DEFAULT_SECURITY_GROUP_IDS' },
  },
  workers: {
    concurrency: {
      network: concurrency('network', 10),
      subnet: concurrency('subnet', 10),
      port: concurrency('port', 20),
      attach: concurrency('attach', 20),
      poll: concurrency('poll', 50),
      cleanup: concurrency('cleanup', 5),
      webhook: concurrency('webhook', 20),
    },
    shutdownTimeoutMs: { doc: 'How long SIGTERM waits for running stages to finish, in ms.', format: 'positive-int', default: 30_000, env: 'SHUTDOWN_TIMEOUT_MS' },
    lockDurationMs: {
      doc: 'How long a worker holds a job before it counts as stalled unless renewed, in ms (BullMQ lockDuration).',
      format: 'positive-int',
      default: 30_000,
      env: 'WORKER_LOCK_DURATION_MS',
    },
    stalledIntervalMs: {
      doc: 'How often workers look for stalled jobs (a dead worker\'s jobs) and bring them back, in ms.',
      format: 'positive-int',
      default: 30_000,
      env: 'WORKER_STALLED_INTERVAL_MS',
    },
    maxStalledCount: {
      doc: 'Times one job may be brought back from a dead worker before it fails.',
      format: 'positive-int',
      default: 5,
      env: 'WORKER_MAX_STALLED_COUNT',
    },
  },
  events: {
    streamMaxLen: { doc: 'Approximate length the events stream is trimmed to.', format: 'positive-int', default: 100_000, env: 'EVENTS_STREAM_MAXLEN' },
    streamMaxAgeHours: {
      doc: 'Events older than this are trimmed from the events stream, in hours (0 = no age limit; the length limit still applies).',
      format: 'non-negative-int',
      default: 168,
      env: 'EVENTS_STREAM_MAX_AGE_HOURS',
    },
    stageCompleted: { doc: 'Also emit attachment.stage_completed progress events.', format: 'true-false', default: false, env: 'EVENTS_STAGE_COMPLETED' },
  },
  webhook: {
    secret: { doc: 'Secret (whsec_ + base64 of ≥ 24 bytes) signing per-request callback_url deliveries; empty = callback_url refused.', format: 'webhook-secret', default: '', env: 'WEBHOOK_SECRET', sensitive: true },
    retrySchedule: { doc: 'Delays between delivery attempts.', format: 'duration-list', default: '5s,5m,30m,2h,5h,10h,10h', env: 'WEBHOOK_RETRY_SCHEDULE' },
    allowPrivate: { doc: 'Allow webhook URLs that resolve to loopback/private/link-local addresses.', format: 'true-false', default: false, env: 'WEBHOOK_ALLOW_PRIVATE' },
    timeoutMs: { doc: 'Timeout of one delivery attempt, in ms.', format: 'positive-int', default: 15_000, env: 'WEBHOOK_TIMEOUT_MS' },
    disableAfterHours: { doc: 'Disable a subscription whose endpoint has failed without a success for this long, in hours.', format: 'positive-number', default: 120, env: 'WEBHOOK_DISABLE_AFTER_HOURS' },
    secretOverlapHours: { doc: 'After a secret rotation, the old secret also signs for this long, in hours.', format: 'positive-number', default: 24, env: 'WEBHOOK_SECRET_OVERLAP_HOURS' },
    maxResponseBytes: { doc: 'Most bytes of a receiver response body read and kept.', format: 'positive-int', default: 4096, env: 'WEBHOOK_MAX_RESPONSE_BYTES' },
  },
  metrics: {
    host: { doc: 'Address of the /metrics, /healthz and /readyz server of processes without the API (nic-attach worker).', format: String, default: '127.0.0.1', env: 'METRICS_HOST' },
    port: {
      doc: 'Port of that server (0 = any free port, logged at start). Processes with the API serve the same routes on the API port instead.',
      format: 'tcp-port',
      default: 9464,
      env: 'METRICS_PORT',
    },
  },
  cli: {
    apiUrl: { doc: 'Base URL of the API the command-line client (submit, batch, status, watch) talks to; --api overrides.', format: 'http-url-or-empty', default: 'http://127.0.0.1:8080', env: 'NIC_ATTACH_API_URL' },
    apiKey: { doc: 'API key the command-line client sends as "Authorization: Bearer <key>"; --key overrides.', format: String, default: '', env: 'NIC_ATTACH_API_KEY', sensitive: true },
  },
  emulator: {
    host: { doc: 'Address the emulator listens on.', format: String, default: '127.0.0.1', env: 'EMULATOR_HOST' },
    port: { doc: 'Port of the emulator (0 = any free port, for the embedded emulator).', format: 'tcp-port', default: 9780, env: 'EMULATOR_PORT' },
    accessKey: { doc: 'Access key the emulator accepts.', format: String, default: 'EMULATORACCESSKEY0001', env: 'EMULATOR_ACCESS_KEY', sensitive: true },
    secretKey: { doc: 'Secret key the emulator accepts.', format: String, default: 'emulator-secret-key-not-for-production', env: 'EMULATOR_SECRET_KEY', sensitive: true },
    projectId: { doc: 'Project id the emulator serves.', format: 'project-id', default: '0123456789abcdef0123456789abcdef', env: 'EMULATOR_PROJECT_ID' },
    vpcReadyMs: { doc: 'Time a new VPC stays CREATING, in ms.', format: 'non-negative-int', default: 1_500, env: 'EMULATOR_VPC_READY_MS' },
    subnetReadyMs: { doc: 'Time a new subnet stays UNKNOWN, in ms.', format: 'non-negative-int', default: 2_000, env: 'EMULATOR_SUBNET_READY_MS' },
    jobMinMs: { doc: 'Shortest ECS job duration, in ms.', format: 'non-negative-int', default: 2_000, env: 'EMULATOR_JOB_MIN_MS' },
    jobMaxMs: { doc: 'Longest ECS job duration, in ms.', format: 'non-negative-int', default: 6_000, env: 'EMULATOR_JOB_MAX_MS' },
    seedDemo: { doc: 'Create a demo server in the embedded emulator at start.', format: 'true-false', default: true, env: 'EMULATOR_SEED_DEMO' },
  },
};
