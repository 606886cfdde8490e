/**
 * The workers role: the workflow workers of ../../queues/workers.ts against the process's cloud, observed by
 * the app's metrics, with a heartbeat (for /readyz: "workers progressing") refreshed while they take jobs.
 * stop() drops the heartbeat first (a draining process no longer counts as taking jobs), then drains.
 */
import { startWorkflowWorkers, type WorkflowWorkers } from '../../queues/workers.js';
import type { WorkerHeartbeat } from '../metrics-heartbeat.js';
import type { AppContext, Role } from '../role.js';

export interface WorkersRole extends Role {
  readonly name: 'workers';
  readonly workers: WorkflowWorkers | undefined;
  /** True while every worker runs and takes jobs (not stopping). */
  isRunning(): boolean;
}

export function createWorkersRole(ctx: AppContext): WorkersRole {
  let workers: WorkflowWorkers | undefined;
  let heartbeat: WorkerHeartbeat | undefined;
  let stopping = false;
  const isRunning = (): boolean => !stopping && workers !== undefined && workers.workers.every((w) => w.isRunning());
  return {
    name: 'workers',
    get workers() {
      return workers;
    },
    isRunning,
    async start() {
      workers = startWorkflowWorkers(ctx.config, { logger: ctx.logger, cloudOptions: ctx.cloudOptions(), hooks: ctx.ops.metrics.hooks });
      await workers.waitUntilReady();
      heartbeat = ctx.ops.heartbeat(isRunning);
      await heartbeat.start();
    },
    async stop() {
      stopping = true;
      await heartbeat?.stop();
      heartbeat = undefined;
      await workers?.close();
      workers = undefined;
    },
  };
}
