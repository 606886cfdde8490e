/** What every command receives: the API client, output switches and the polling settings. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './client.js';
import { UsageError } from './exit-codes.js';

export interface CliContext {
  client: ApiClient;
  /** Print JSON documents instead of tables (for scripts). */
  json: boolean;
  /** stdout is a terminal (progress bar instead of lines). */
  tty: boolean;
  /** Poll interval of waiting commands, in ms. */
  intervalMs: number;
  /** Longest wait of waiting commands, in ms. */
  waitTimeoutMs: number;
  /** Aborted on SIGINT/SIGTERM: waiting commands stop and report what they have. */
  signal: AbortSignal;
  out(text: string): void;
  err(text: string): void;
}

/** Sleep that ends early (without throwing) when the context is aborted. */
export async function pause(ctx: CliContext, ms: number): Promise<void> {
  try {
    await sleep(ms, undefined, { signal: ctx.signal });
  } catch {
    // aborted: the caller checks ctx.signal.aborted
  }
}

export function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new UsageError(`--${name} takes a positive whole number, got "${raw}"`);
  return Number(raw);
}
