/**
 * coalesceWritesPerTick(redis): everything a process sends on one Redis connection within one tick of the
 * event loop leaves in one socket write. At its first write of a tick the socket is corked, and uncorked by
 * process.nextTick — once the running synchronous code is done (a promise job that writes later re-corks and
 * is flushed by its own nextTick), always before the event loop waits for I/O again — so Node hands each
 * burst of commands to the kernel in one writev. It patches the write of ioredis' socket (`redis.stream`,
 * stable across ioredis 5), which is why it lives here, next to the connection it is applied to.
 *
 * Why (issue 7): the workers' connection carries every record write, lease, rate-limiter script and BullMQ
 * command of the process, ~40 commands per attachment, and each used to be a syscall of its own. Under load
 * many stage runs resume in the same tick (one socket read delivers several answers), so their next commands
 * now share one write: ~0.4 ms less CPU per attachment in bench/throughput.ts, and Redis reads fewer, larger
 * chunks. Nothing else changes: the commands and their order are the same (ioredis still writes each one, and
 * matches answers in order), nothing waits longer than the current tick, and a new socket (a reconnect) is
 * coalesced the same way. Not for a connection that blocks (BullMQ's own blocking connection is a duplicate
 * and is left alone).
 */
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

const COALESCED = Symbol('nic-attach.coalesced');

type Coalescible = Socket & { [COALESCED]?: true };

function coalesce(socket: Coalescible): void {
  if (socket[COALESCED]) return;
  socket[COALESCED] = true;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = function coalescedWrite(this: Socket, ...args: unknown[]): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}

export function coalesceWritesPerTick(redis: Redis): void {
  const current = (): Coalescible | undefined => (redis as unknown as { stream?: Coalescible }).stream;
  const install = (): void => {
    const socket = current();
    if (socket) coalesce(socket);
  };
  // ioredis makes a new socket on every (re)connect and sets it before 'connect' is emitted.
  redis.on('connect', install);
  install();
}
