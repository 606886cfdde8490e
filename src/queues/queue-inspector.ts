/**
 * Read-side handles on every queue of the service (the five stages, cleanup, webhook) for operators: job counts
 * by state (the queue-depth metrics, read on each scrape) and the bull-board adapters of the dashboard. Only
 * src/queues imports bullmq, so the adapters are built here and handed out as bull-board's BaseAdapter.
 * The queues share the caller's connection; close() closes the queues, never that connection.
 */
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { SharedConnectionQueue } from './shared-connection.js';
import type { Redis } from 'ioredis';
import { ALL_QUEUES, type AnyQueueName } from './names.js';

/** The job states reported, in the order BullMQ's getJobCounts names them. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface QueueInspector {
  readonly names: readonly AnyQueueName[];
  /** Jobs per state of every queue (one round trip per queue, run in parallel). */
  jobCounts(): Promise<Record<AnyQueueName, Record<JobState, number>>>;
  /** One bull-board adapter per queue (the dashboard). */
  boardAdapters(opts?: { readOnly?: boolean }): BaseAdapter[];
  close(): Promise<void>;
}

export function createQueueInspector(deps: { connection: Redis; prefix: string }): QueueInspector {
  const queues = ALL_QUEUES.map((name) => new SharedConnectionQueue(name, { connection: deps.connection, prefix: deps.prefix }));
  // A queue's 'error' without a listener would be an uncaught exception; the connection reports its own errors.
  for (const q of queues) q.on('error', () => undefined);
  return {
    names: ALL_QUEUES,
    async jobCounts() {
      const all = await Promise.all(queues.map((q) => q.getJobCounts(...JOB_STATES)));
      const out = {} as Record<AnyQueueName, Record<JobState, number>>;
      ALL_QUEUES.forEach((name, i) => {
        const counts = all[i] ?? {};
        out[name] = Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])) as Record<JobState, number>;
      });
      return out;
    },
    boardAdapters(opts = {}) {
      return queues.map((q) => new BullMQAdapter(q, { readOnlyMode: opts.readOnly ?? false, description: `${deps.prefix} · ${q.name}` }));
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
