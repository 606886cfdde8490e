/**
 * When the poll schedule first learns (the MIN_SAMPLES-th ECS job duration is recorded), first polls that
 * were scheduled before, on the cold guess (80 % of `pollInitialExpectedMs`), are moved to where the learned
 * schedule puts them (`firstPollDelay` of the learned durations, from the time the job was submitted) — now,
 * if that time has passed.
 *
 * Why (issue 7): with a fresh key prefix the schedule knows nothing, so every attachment that reaches the
 * poll stage before the first MIN_SAMPLES jobs have ended is polled at the cold guess (4 s by default). When
 * jobs take far less, a wave of attachments after a deploy, or every round of bench/throughput.ts, would end
 * ~4 s late: their first polls move earlier. When jobs take far longer (bench/polling.ts: 8 s), a first poll
 * at 4 s only finds the job running — a call spent for nothing: it moves later, to where the learned
 * schedule would have made it.
 *
 * Only first polls are moved (delayed poll jobs that never ran: later polls were already placed by a schedule
 * that had samples, or by the cold steps that follow the first guess), and each at most once (one catch-up
 * per key prefix: the transition to MIN_SAMPLES samples happens once — exactly one LPUSH sees that length).
 * Moving a poll is harmless: the poll stage only reads (ShowJob); a job found still running is scheduled
 * again as usual. A poll moves later by at most half the server lease's TTL: the attach stage took the lease
 * for the TTL past the planned first poll, and the poll renews it, so it must come well before it lapses. A job that starts meanwhile is left alone (promote/changeDelay refuse
 * a job that is no longer delayed). Errors are logged, never thrown: the polls then just run as planned.
 */
import type { Job, Queue } from 'bullmq';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { JobDurations, WorkflowSettings } from '../workflow/deps.js';
import { firstPollDelay } from '../workflow/poll-schedule.js';
import type { StageJobData } from './names.js';

/** Delayed poll jobs read per page. */
const PAGE = 500;
/** A first poll moves only when the learned time is at least this far from the planned one (not worth a write otherwise). */
const MIN_GAIN_MS = 100;

export interface PollCatchUpDeps {
  queue: Queue<StageJobData>;
  jobDurations: Pick<JobDurations, 'recent'>;
  settings: WorkflowSettings;
  clock: Clock;
  logger: Logger;
}

/** Moves the first polls to where the learned schedule would have made them; resolves with how many moved. */
export async function catchUpFirstPolls(deps: PollCatchUpDeps): Promise<number> {
  const learned = await deps.jobDurations.recent();
  const delay = firstPollDelay(learned, deps.settings);
  const firstPolls: Array<Job<StageJobData>> = [];
  for (let start = 0; ; start += PAGE) {
    const page = (await deps.queue.getDelayed(start, start + PAGE - 1)) as Array<Job<StageJobData>>;
    for (const job of page) if (!job.processedOn && job.attemptsMade === 0) firstPolls.push(job);
    if (page.length < PAGE) break;
  }
  /** The learned first-poll delay for a job planned `planned` ms after its submission, later by at most half the lease TTL. */
  const learnedFor = (planned: number): number => Math.min(delay, planned + deps.settings.serverLeaseTtlMs / 2);
  const due = firstPolls.filter((job) => Math.abs((job.delay ?? 0) - learnedFor(job.delay ?? 0)) >= MIN_GAIN_MS);
  let moved = 0;
  const move = async (job: Job<StageJobData>): Promise<void> => {
    const wait = job.timestamp + learnedFor(job.delay ?? 0) - deps.clock.now();
    try {
      if (wait <= 0) await job.promote();
      else await job.changeDelay(wait);
      moved += 1;
    } catch {
      // It left the delayed set meanwhile (it ran, or was removed): nothing to move.
    }
  };
  // A page at a time, concurrently within it (the commands go out back to back on one connection).
  for (let i = 0; i < due.length; i += PAGE) await Promise.all(due.slice(i, i + PAGE).map(move));
  deps.logger.info({ moved, first_polls: firstPolls.length, first_poll_delay_ms: delay, samples: learned.length }, 'poll schedule learned: first polls planned on the cold guess moved to the learned schedule');
  return moved;
}
