/**
 * SharedConnectionQueue and SharedConnectionWorker: BullMQ's Queue and Worker on a connection they share with
 * other queues, workers and commands (the producer's, the workers', the API's), which outlives them.
 *
 * Why (a CI failure of test/integration/api/redis-down.test.ts): BullMQ 5 starts the init of a queue or worker
 * at construction (wait until the connection is ready, read the Redis version). On a shared connection that
 * has never been ready — Redis down when the process started — that init stays pending. close() then removes
 * every listener of the connection wrapper, the relay of its 'error' to the queue or worker included; when the
 * shared connection is disconnected afterwards while it is connecting, the pending init rejects, the wrapper
 * emits 'error' with no listener, the emit throws inside a promise callback, and the process sees an unhandled
 * rejection. BullMQ guards this for connections it owns (it swallows the in-flight init), not for shared ones.
 * These subclasses keep a sink for that one late error after close(); `connection` is protected, there for
 * subclasses. Errors before close() still reach the object's own 'error' listeners.
 * test/integration/queues/shared-connection.test.ts shows both BullMQ's behaviour and the fix.
 */
import { Queue, Worker } from 'bullmq';

export class SharedConnectionQueue<DataType = unknown> extends Queue<DataType> {
  override async close(): Promise<void> {
    await super.close();
    this.connection.on('error', () => undefined);
  }
}

export class SharedConnectionWorker<DataType = unknown, ResultType = unknown> extends Worker<DataType, ResultType> {
  override async close(force = false): Promise<void> {
    await super.close(force);
    this.connection.on('error', () => undefined);
  }
}
