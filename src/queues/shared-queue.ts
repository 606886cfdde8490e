/**
 * SharedConnectionQueue: a BullMQ Queue on a connection it shares with other queues and commands (the
 * producer's, the workers', the API's), which outlives the queue.
 *
 * Why (a CI failure of test/integration/api/redis-down.test.ts): BullMQ 5 starts a queue's init at construction
 * (wait until the connection is ready, read the Redis version). On a shared connection that has never been
 * ready — the API pointed at a Redis that is down — that init stays pending. close() then removes every
 * listener of the queue's connection wrapper, the relay of its 'error' to the queue included; when the shared
 * connection is disconnected afterwards while it is connecting, the pending init rejects, the wrapper emits
 * 'error' with no listener, the emit throws inside a promise callback, and the process sees an unhandled
 * rejection. BullMQ guards this for connections it owns (it swallows the in-flight init), not for shared ones.
 * This subclass keeps a sink for that one late error after close(); `connection` is protected, there for
 * subclasses. Errors before close() still reach the queue's own 'error' listeners.
 */
import { Queue } from 'bullmq';

export class SharedConnectionQueue<DataType = unknown> extends Queue<DataType> {
  override async close(): Promise<void> {
    await super.close();
    this.connection.on('error', () => undefined);
  }
}
