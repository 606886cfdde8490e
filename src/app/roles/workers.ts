/** The workers role: the workflow workers of ../../queues/workers.ts against the process's cloud. */
import { startWorkflowWorkers, type WorkflowWorkers } from '../../queues/workers.js';
import type { AppContext, Role } from '../role.js';

export interface WorkersRole extends Role {
  readonly name: 'workers';
  readonly workers: WorkflowWorkers | undefined;
}

export function createWorkersRole(ctx: AppContext): WorkersRole {
  let workers: WorkflowWorkers | undefined;
  return {
    name: 'workers',
    get workers() {
      return workers;
    },
    async start() {
      workers = startWorkflowWorkers(ctx.config, { logger: ctx.logger, cloudOptions: ctx.cloudOptions() });
      await workers.waitUntilReady();
    },
    async stop() {
      await workers?.close();
      workers = undefined;
    },
  };
}
