/**
 * The adaptive poll schedule: quantile and hazard arithmetic, clamps, the few-samples fallback, the lag target
 * being tracked, and the issue 7 target — against log-normal job durations (median 8 s, σ 0.4) it detects the
 * end no later on average than a fixed 2 s poll, with at most 75 % of its ShowJob calls.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, countAtLeast, firstPollDelay, hazard, nextPollDelay, quantile, MIN_SAMPLES } from '../../../src/workflow/poll-schedule.js';

const settings = { pollMinDelayMs: 250, pollMaxDelayMs: 10_000, pollInitialExpectedMs: 5_000, pollTargetLagMs: 1_000 };

/** Deterministic PRNG (LCG) and log-normal sampler. */
function lognormal(seed: number, median: number, sigma: number): () => number {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return () => {
    const u = Math.max(1e-12, rnd());
    const v = rnd();
    return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  };
}

/** Polls a job of duration d on a schedule; returns [calls, detection lag]. */
function simulate(d: number, next: (elapsed: number) => number): [number, number] {
  let t = 0;
  let calls = 0;
  for (;;) {
    t += next(t);
    calls += 1;
    if (t >= d) return [calls, t - d];
  }
}

/** Mean calls and mean detection lag of a schedule over many jobs. */
function meanOver(jobs: readonly number[], next: (elapsed: number) => number): [number, number] {
  let calls = 0;
  let lag = 0;
  for (const d of jobs) {
    const [c, l] = simulate(d, next);
    calls += c;
    lag += l;
  }
  return [calls / jobs.length, lag / jobs.length];
}

describe('poll schedule', () => {
  it('computes interpolated quantiles, counts and the kernel hazard', () => {
    const xs = [0, 10, 20, 30, 40];
    assert.equal(quantile(xs, 0), 0);
    assert.equal(quantile(xs, 0.5), 20);
    assert.equal(quantile(xs, 0.625), 25);
    assert.equal(quantile(xs, 1), 40);
    assert.equal(countAtLeast(xs, -1), 5);
    assert.equal(countAtLeast(xs, 20), 3);
    assert.equal(countAtLeast(xs, 21), 2);
    assert.equal(countAtLeast(xs, 41), 0);
    // At t = 20 with w = 5: one job ends in [15, 25] of the three still running → 1 / (3 · 10) per ms.
    assert.equal(hazard({ sorted: xs, bandwidth: 5 }, 20), 1 / 30);
    assert.equal(hazard({ sorted: xs, bandwidth: 5 }, 41), Number.POSITIVE_INFINITY, 'nothing left running');
  });

  it('with few samples polls first at 80 % of the expected duration, then in steps of twice the target lag', () => {
    assert.equal(firstPollDelay([], settings), 4_000);
    assert.equal(firstPollDelay(Array(MIN_SAMPLES - 1).fill(1_000), settings), 4_000);
    assert.equal(nextPollDelay(4_000, [], settings), 2 * settings.pollTargetLagMs);
    assert.equal(nextPollDelay(30_000, [], settings), 3_000, '10 % of the elapsed time when that is longer');
  });

  it('never goes below the minimum nor above the maximum delay', () => {
    const zeros = Array(50).fill(0);
    assert.equal(nextPollDelay(0, zeros, settings), settings.pollMinDelayMs);
    assert.equal(nextPollDelay(1_000_000, Array(50).fill(500_000), settings), settings.pollMaxDelayMs);
    const durations = Array.from({ length: 200 }, lognormal(7, 8_000, 0.4));
    for (let e = 0; e < 60_000; e += 500) {
      const d = nextPollDelay(e, durations, settings);
      assert.ok(d >= settings.pollMinDelayMs && d <= settings.pollMaxDelayMs, `delay ${d} at ${e}`);
    }
  });

  it('polls sparsely where few jobs end and densely where they do; backs off past the longest job seen', () => {
    const durations = Array.from({ length: 200 }, lognormal(7, 8_000, 0.4));
    const s = { ...settings, pollMinDelayMs: 1 };
    const first = firstPollDelay(durations, s);
    assert.ok(first > 4_000 && first < 8_000, `first poll at ${first} ms: after the early jobs, before the median`);
    const atMedian = nextPollDelay(8_000, durations, s);
    assert.ok(atMedian < first / 2, `${atMedian} ms between polls around the median`);
    const longest = Math.max(...durations);
    assert.equal(nextPollDelay(longest + 10_000, durations, s), Math.round(0.1 * (longest + 10_000)));
    assert.ok(nextPollDelay(longest - 1_000, durations, s) <= 1_000, 'never polls past the longest job seen');
  });

  it('tracks the lag target: a lower target polls more and notices sooner', () => {
    const learned = Array.from({ length: 200 }, lognormal(11, 8_000, 0.4));
    const jobs = Array.from({ length: 2_000 }, lognormal(12, 8_000, 0.4));
    const run = (target: number): [number, number] => meanOver(jobs, (e) => nextPollDelay(e, learned, { ...settings, pollTargetLagMs: target }));
    const [fewCalls, bigLag] = run(1_500);
    const [manyCalls, smallLag] = run(500);
    assert.ok(manyCalls > fewCalls && smallLag < bigLag);
    assert.ok(Math.abs(smallLag - 500) < 150 && Math.abs(bigLag - 1_500) < 300, `lags ${Math.round(smallLag)} and ${Math.round(bigLag)} ms`);
    assert.ok(buildModel(learned, 500).k > buildModel(learned, 1_500).k);
  });

  it('beats a fixed 2 s poll on log-normal jobs: no more lag, at most 75 % of the calls', () => {
    const learned = Array.from({ length: 200 }, lognormal(42, 8_000, 0.4));
    const jobs = Array.from({ length: 3_000 }, lognormal(4242, 8_000, 0.4));
    const [calls, lag] = meanOver(jobs, (e) => nextPollDelay(e, learned, settings));
    const [fixedCalls, fixedLag] = meanOver(jobs, () => 2_000);
    assert.ok(lag <= fixedLag, `mean lag ${Math.round(lag)} ms vs fixed ${Math.round(fixedLag)} ms`);
    assert.ok(calls <= 0.75 * fixedCalls, `calls ${calls.toFixed(2)} vs fixed ${fixedCalls.toFixed(2)}`);
  });
});
