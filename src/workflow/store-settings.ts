/** The record store's settings: what the config says about the events stream and record retention. */
import type { Config } from '../config/index.js';

/** The default of config events.streamMaxAgeHours (7 days), for settings that do not say. */
export const DEFAULT_STREAM_MAX_AGE_MS = 7 * 86_400_000;

export interface StoreSettings {
  /** Approximate length the events stream is trimmed to (config.events.streamMaxLen). */
  streamMaxLen: number;
  /**
   * Age the events stream is trimmed to, in ms (config.events.streamMaxAgeHours; 0 = no age limit). Absent =
   * DEFAULT_STREAM_MAX_AGE_MS, so every writer of events (the producer library too) applies an age limit.
   */
  streamMaxAgeMs?: number;
  /** Retention of terminal records (config.workflow.recordRetentionDays). */
  recordRetentionDays: number;
  /** Emit attachment.stage_completed events (config.events.stageCompleted). */
  stageCompletedEvents: boolean;
}

/** The store's settings as the service configures them (one place, so every writer of events trims alike). */
export function storeSettingsFromConfig(config: Pick<Config, 'events' | 'workflow'>): StoreSettings {
  return {
    streamMaxLen: config.events.streamMaxLen,
    streamMaxAgeMs: config.events.streamMaxAgeHours * 3_600_000,
    recordRetentionDays: config.workflow.recordRetentionDays,
    stageCompletedEvents: config.events.stageCompleted,
  };
}
