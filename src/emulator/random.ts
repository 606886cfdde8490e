/**
 * A seeded pseudo-random source (mulberry32) for reproducible draws: job durations, injected failures and
 * faults. `PUT /_emulator/config { "seed": n }` installs one, so two runs that create jobs in the same order get
 * the same durations — bench/polling.ts compares poll schedules on the same jobs this way. Not for secrets.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
