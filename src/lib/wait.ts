/** Small async helpers with no domain knowledge. */
import { setTimeout as delay } from 'node:timers/promises';

export { delay };

/** Poll `probe` until it returns a value other than undefined, or throw after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs: number; intervalMs?: number; what?: string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what ?? 'a condition'}`);
    await delay(opts.intervalMs ?? 50);
  }
}
