/**
 * When to poll an ECS job next (ShowJob), learned from recent job durations.
 *
 * With enough samples, each poll goes to the next empirical quantile of the learned durations above the time
 * already elapsed, stepping by 20 % of the probability mass while much remains and by 40 % of what remains
 * after that: polls land near p20, p40, p60, p76, p86, p91, p95 … of the distribution. Early polls are cheap
 * guesses where most jobs end; late ones get denser in probability but, as the tail stretches, not in time.
 * Past the longest job ever seen it backs off geometrically (10 % of the elapsed time). Every delay is
 * clamped to [pollMinDelayMs, pollMaxDelayMs].
 *
 * With fewer than MIN_SAMPLES samples it assumes jobs take about `pollInitialExpectedMs`: the first poll at
 * 80 % of it, then short steps (15 % of it, or 10 % of the elapsed time when longer).
 *
 * Benchmark target (issue 7, log-normal median 8 s, σ 0.4): a mean detection lag no worse than a fixed 2 s
 * poll (~1 s) with at most 75 % of its ShowJob calls; test/unit/workflow/poll-schedule.test.ts checks it.
 */
export interface PollScheduleSettings {
  pollMinDelayMs: number;
  pollMaxDelayMs: number;
  pollInitialExpectedMs: number;
}

export const MIN_SAMPLES = 10;
const FIRST_GUESS_SHARE = 0.8;
const SHORT_STEP_SHARE = 0.15;
const TAIL_STEP_SHARE = 0.1;
const MAX_MASS_STEP = 0.2;
const REMAINING_MASS_SHARE = 0.4;

function clamp(ms: number, s: PollScheduleSettings): number {
  return Math.round(Math.min(s.pollMaxDelayMs, Math.max(s.pollMinDelayMs, ms)));
}

/** Linear-interpolated empirical quantile of sorted values, p in [0, 1]. */
export function quantile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = Math.min(1, Math.max(0, p)) * (n - 1);
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (h - lo);
}

/** The inverse of quantile(): the share of the distribution at or below `x` (0 below the smallest, 1 at or past the largest). */
export function cdf(sorted: readonly number[], x: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (x < (sorted[0] as number)) return 0;
  if (x >= (sorted[n - 1] as number)) return 1;
  let lo = 0;
  let hi = n - 1;
  // Largest i with sorted[i] <= x.
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= x) lo = mid;
    else hi = mid;
  }
  const a = sorted[lo] as number;
  const b = sorted[lo + 1] as number;
  const frac = b > a ? (x - a) / (b - a) : 0;
  return (lo + frac) / (n - 1);
}

/** Delay (ms) from now until the next ShowJob, given the time since the job was submitted. */
export function nextPollDelay(elapsedMs: number, samples: readonly number[], settings: PollScheduleSettings): number {
  const elapsed = Math.max(0, elapsedMs);
  if (samples.length < MIN_SAMPLES) {
    const expected = settings.pollInitialExpectedMs;
    const first = FIRST_GUESS_SHARE * expected;
    if (elapsed < first) return clamp(first - elapsed, settings);
    return clamp(Math.max(SHORT_STEP_SHARE * expected, TAIL_STEP_SHARE * elapsed), settings);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const q = cdf(sorted, elapsed);
  if (q < 1) {
    const step = Math.min(MAX_MASS_STEP, REMAINING_MASS_SHARE * (1 - q));
    const target = quantile(sorted, q + step);
    if (target > elapsed) return clamp(target - elapsed, settings);
  }
  return clamp(TAIL_STEP_SHARE * elapsed, settings);
}

/** Delay before the first ShowJob of a job just submitted. */
export function firstPollDelay(samples: readonly number[], settings: PollScheduleSettings): number {
  return nextPollDelay(0, samples, settings);
}
