/**
 * The set-up of a suite that runs workers as child processes: before it, an emulator (with the given options)
 * and test workers with no in-process workers (the store, the cloud client and `submit` of ./workers.ts); after
 * it, every child it spawned is killed and everything is stopped. Call it inside `describe`.
 */
import { after, before } from 'node:test';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';
import { spawnWorkerProcess, startTestWorkers, type TestWorkers, type WorkerProcess } from './workers.js';

export interface ChildWorkerSuite {
  /** Set once the suite's `before` has run. */
  readonly emu: TestEmulator;
  readonly t: TestWorkers;
  /** `node --import tsx src/main.ts worker` on the suite's emulator and prefix; killed after the suite. */
  spawn(opts?: { env?: Record<string, string>; redisUrl?: string }): WorkerProcess;
}

export function childWorkerSuite(emulatorOptions: Partial<EmulatorOptions>): ChildWorkerSuite {
  let emu: TestEmulator | undefined;
  let t: TestWorkers | undefined;
  const children: WorkerProcess[] = [];
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('childWorkerSuite: used before its before() hook ran');
    return v;
  };
  before(async () => {
    emu = await startTestEmulator(emulatorOptions);
    t = await startTestWorkers({ emulator: emu, noWorkers: true });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.stop();
    await emu?.stop();
  });
  return {
    get emu() {
      return ready(emu);
    },
    get t() {
      return ready(t);
    },
    spawn(opts = {}) {
      const child = spawnWorkerProcess({ emulator: ready(emu), prefix: ready(t).prefix, ...opts });
      children.push(child);
      return child;
    },
  };
}
