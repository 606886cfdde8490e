/**
 * Runs one already-added job of a workflow queue through a bare BullMQ worker — no stage code, no failure net —
 * that completes it, or fails it for good with `failReason` (UnrecoverableError): how the reconciler tests make
 * a job that finished without the record moving on, or one that died (stalled out) without writing a result.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import { waitUntil } from '../../src/lib/wait.js';
import type { WorkflowQueueName } from '../../src/queues/stage-queues.js';
import type { TestWorkers } from './workers.js';

export async function runBareJob(w: TestWorkers, queue: WorkflowQueueName, jobId: string, outcome: 'complete' | 'fail', failReason: string): Promise<void> {
  const connection = w.redis.duplicate();
  const bare = new Worker(
    queue,
    async () => {
      if (outcome === 'fail') throw new UnrecoverableError(failReason);
    },
    { connection, prefix: w.prefix },
  );
  try {
    const want = outcome === 'complete' ? 'completed' : 'failed';
    await waitUntil(async () => ((await w.queues.queues[queue].getJobState(jobId)) === want ? true : undefined), { timeoutMs: 10_000, what: `the ${queue} job ${want}` });
  } finally {
    await bare.close();
    await connection.quit();
  }
}
