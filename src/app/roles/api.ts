/**
 * The api role: the HTTP API (src/api/server.ts) on config.api.host:port, with its producer on a fail-fast
 * Redis connection. /v1/webhooks uses the events role's stores and delivery queue when the app passes them (the
 * server makes its own on the same Redis keys otherwise). start() resolves once the server listens; stop()
 * closes the server (in-flight requests finish), then the producer.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../config/types.js';
import type { Logger } from '../../lib/logger.js';
import { callbackUrlsMode, createApiServer, type ApiServer } from '../../api/server.js';
import type { ReadinessCheck } from '../../api/routes/health.js';
import type { WebhookRoutesDeps } from '../../api/routes/webhooks.js';
import { createProducer } from '../../queues/producer.js';
import { storeSettingsFromConfig } from '../../workflow/record-store.js';

export interface ApiRoleDeps {
  logger: Logger;
  registry?: Registry;
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  /** The events role's stores and queue (when this process runs it). */
  webhooks?: WebhookRoutesDeps;
}

export interface ApiRole {
  readonly name: 'api';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The base URL once started (the real port when config.api.port is 0). */
  readonly url: string | undefined;
  readonly server: ApiServer | undefined;
}

export function createApiRole(config: Config, deps: ApiRoleDeps): ApiRole {
  const log = deps.logger.child({ role: 'api' });
  let server: ApiServer | undefined;
  let url: string | undefined;

  return {
    name: 'api',
    get url() {
      return url;
    },
    get server() {
      return server;
    },
    async start() {
      const producer = createProducer({
        redis: config.redis.url,
        prefix: config.redis.prefix,
        logger: log,
        idempotencyTtlHours: config.api.idempotencyTtlHours,
        batchMaxItems: config.api.batchMaxItems,
        workflow: config.workflow,
        store: storeSettingsFromConfig(config),
        callbackUrls: callbackUrlsMode(config),
        allowPrivateCallbacks: config.webhook.allowPrivate,
      });
      server = await createApiServer(config, {
        logger: log,
        producer,
        ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
        ...(deps.registry ? { registry: deps.registry } : {}),
        ...(deps.readiness ? { readiness: deps.readiness } : {}),
      });
      url = await server.listen();
      log.info({ url, docs: `${url}/docs` }, 'api role started');
    },
    async stop() {
      if (!server) return;
      await server.close();
      await server.producer.close();
      server = undefined;
      log.info('api role stopped');
    },
  };
}
