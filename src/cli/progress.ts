/**
 * Progress of a running batch: a cli-progress bar when stdout is a terminal, plain lines otherwise (logs, CI,
 * pipes), printed only when the counts change.
 */
import cliProgress from 'cli-progress';
import type { AttachmentStatus } from '../workflow/types.js';

export type Counts = Record<AttachmentStatus, number>;

export interface ProgressReporter {
  update(counts: Counts, total: number): void;
  stop(): void;
}

const ended = (c: Counts): number => c.succeeded + c.failed + c.cancelled;
const describe = (c: Counts): string => `succeeded ${c.succeeded}, failed ${c.failed}, cancelled ${c.cancelled}, running ${c.running}, queued ${c.queued}`;

export function createProgress(opts: { tty: boolean; label: string; write?: (line: string) => void }): ProgressReporter {
  if (opts.tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${opts.label} {bar} {percentage}% | {value}/{total} ended | ok {succeeded} failed {failed} running {running} queued {queued}`,
        stream: process.stdout,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(counts, total) {
        const payload = { succeeded: counts.succeeded, failed: counts.failed + counts.cancelled, running: counts.running, queued: counts.queued };
        if (!started) {
          bar.start(total, ended(counts), payload);
          started = true;
        } else bar.update(ended(counts), payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const write = opts.write ?? ((line: string) => console.log(line));
  let last = '';
  return {
    update(counts, total) {
      const line = `${opts.label}: ${ended(counts)}/${total} ended (${describe(counts)})`;
      if (line !== last) write(line);
      last = line;
    },
    stop() {},
  };
}
