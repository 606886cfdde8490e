/** The typed, frozen configuration every other module receives (built by ./load.ts from ./schema.ts). */
export type AppEnv = 'development' | 'test' | 'production' | 'docker';
export type QueueName = 'network' | 'subnet' | 'port' | 'attach' | 'poll' | 'cleanup' | 'webhook';

export interface Config {
  env: AppEnv;
  /** CI=true: plain progress lines instead of live bars. */
  ci: boolean;
  log: { level: string; pretty: 'auto' | 'true' | 'false' };
  redis: {
    url: string;
    /** BullMQ prefix and the prefix of every key of this service; may be a Cluster hash tag like `{nicattach}`. */
    prefix: string;
  };
  cloud: {
    ak: string;
    sk: string;
    /** Temporary credentials (STS) add X-Security-Token; empty otherwise. */
    securityToken: string;
    /** Token auth (X-Auth-Token), used when no AK/SK is set. */
    authToken: string;
    projectId: string;
    region: string;
    ecsEndpoint: string;
    vpcEndpoint: string;
    timeoutMs: number;
    getRetries: number;
    /** All cloud calls of a project share this rate (requests per second). */
    rateLimitRps: number;
  };
  api: {
    host: string;
    port: number;
    keys: string[];
    idempotencyTtlHours: number;
    batchMaxItems: number;
    bodyLimitBytes: number;
  };
  workflow: {
    stageAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    ecsJobDeadlineMs: number;
    pollMinDelayMs: number;
    pollMaxDelayMs: number;
    /** First guess of an ECS job's duration before any has been observed. */
    pollInitialExpectedMs: number;
    /** Mean detection lag the learned poll schedule aims at (src/workflow/poll-schedule.ts). */
    pollTargetLagMs: number;
    waitDelayMs: number;
    serverLeaseTtlMs: number;
    lockTtlMs: number;
    /** How often one workers process sweeps for lost stage jobs and lost cleanup jobs (src/queues/reconciler.ts). */
    reconcileIntervalMs: number;
    /** Only attachments unchanged for this long are repaired. */
    reconcileAfterMs: number;
    recordRetentionDays: number;
    cleanupDeleteNetworks: boolean;
    defaultSecurityGroupIds: string[];
  };
  workers: {
    concurrency: Record<QueueName, number>;
    shutdownTimeoutMs: number;
    /** BullMQ lockDuration: a job whose worker stops renewing it counts as stalled after this long. */
    lockDurationMs: number;
    /** BullMQ stalledInterval: how often stalled jobs are looked for and brought back. */
    stalledIntervalMs: number;
    /** BullMQ maxStalledCount. */
    maxStalledCount: number;
  };
  events: { streamMaxLen: number; streamMaxAgeHours: number; stageCompleted: boolean };
  webhook: {
    secret: string;
    retrySchedule: string;
    allowPrivate: boolean;
    timeoutMs: number;
    disableAfterHours: number;
    secretOverlapHours: number;
    maxResponseBytes: number;
  };
  /** The operations server of processes without the API (worker-only): /metrics, /healthz, /readyz. */
  metrics: { host: string; port: number };
  /** The command-line client (`nic-attach submit|batch|status|watch`): which API it talks to. */
  cli: {
    apiUrl: string;
    apiKey: string;
  };
  emulator: {
    host: string;
    port: number;
    accessKey: string;
    secretKey: string;
    projectId: string;
    vpcReadyMs: number;
    subnetReadyMs: number;
    jobMinMs: number;
    jobMaxMs: number;
    seedDemo: boolean;
    /** True when any of the emulator credentials came from the defaults (then they are printed at start). */
    credentialsDefaulted: boolean;
  };
}
