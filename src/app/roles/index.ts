/**
 * The roles a process can run, in start order (stop is the reverse): the emulator first (it is the cloud of
 * the others when embedded), then events and workers, the API last (it takes requests only once the rest
 * runs, and stops taking them first). Each role is registered here with one line.
 */
import { createApiRole } from './api.js';
import { emulatorRoleFactory } from './emulator.js';
import { createEventsRole, type EventsRole } from './events.js';
import { createWorkersRole } from './workers.js';
import type { RoleFactory, RoleName } from '../role.js';

export const ROLE_FACTORIES: Readonly<Record<RoleName, RoleFactory>> = {
  emulator: emulatorRoleFactory,
  events: (ctx) =>
    createEventsRole(ctx.config, {
      logger: ctx.logger,
      redis: ctx.redis,
      onDeliveryAttempt: ctx.ops.metrics.hooks.onWebhookAttempt,
      onEventsLost: ctx.ops.metrics.hooks.onEventsLost,
    }),
  workers: createWorkersRole,
  api: (ctx) => {
    const events = ctx.role<EventsRole>('events');
    return createApiRole(ctx.config, {
      logger: ctx.logger,
      // One registry for the process (API, workers, deliveries); /readyz also asks for live worker processes.
      registry: ctx.ops.metrics.registry,
      readiness: () => ctx.ops.readiness(),
      ...(events ? { webhooks: { subscriptions: events.subscriptions, deliveries: events.deliveries, enqueue: events.queue.enqueue } } : {}),
    });
  },
};
