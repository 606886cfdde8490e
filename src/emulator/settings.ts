/**
 * The emulator's adjustable settings: defaults, merging of partial updates, and validation of
 * PUT /_emulator/config bodies (a bad patch changes nothing).
 */
import type { EmulatorFaults, EmulatorLimits, EmulatorTimings, JobDurations } from './types.js';
import { isObject } from './validate.js';

/** Realistic defaults (huawei-cloud-api.md §7; real durations UNVERIFIED). Tests set zeros. */
export const DEFAULT_TIMINGS: EmulatorTimings = {
  vpc_ready_ms: 2000,
  subnet_ready_ms: 3000,
  job_ms: { min: 5000, max: 30000, median: 10000, sigma: 0.5 },
};

export const NO_FAULTS: EmulatorFaults = {
  error_rate: 0,
  throttle_rps: 0,
  latency_ms: 0,
  drop_response_rate: 0,
  job_fail_rate: 0,
};

export function defaultLimits(region: string): EmulatorLimits {
  return {
    vpc_quota: 100,
    subnet_quota: 1000,
    port_quota: 10000,
    max_nics: 12,
    nic_limit_mode: 'sync',
    max_nics_per_request: 10,
    attach_allowed_states: ['ACTIVE', 'SHUTOFF'],
    cross_vpc_code: 'Ecs.0064',
    subnet_requires_vpc_ok: true,
    port_requires_subnet_active: true,
    port_status_on_shutoff: 'DOWN',
    default_page_size: 2000,
    job_retention_ms: 24 * 3600 * 1000,
    clock_skew_ms: 15 * 60 * 1000,
    ak_lockout_failures: 0,
    ak_lockout_ms: 5 * 60 * 1000,
    availability_zones: [`${region}a`, `${region}b`, `${region}c`],
  };
}

const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isRate = (v: unknown): v is number => isNonNegative(v) && v <= 1;

function checkJobDurations(v: unknown, current: JobDurations): JobDurations | string {
  if (!isObject(v)) return 'timings.job_ms must be an object';
  const next: JobDurations = { ...current, ...(v as Partial<JobDurations>) };
  if ('median' in v && v.median === null) delete next.median;
  if ('sigma' in v && v.sigma === null) delete next.sigma;
  if (!isNonNegative(next.min) || !isNonNegative(next.max)) return 'timings.job_ms.min/max must be numbers >= 0';
  if (next.min > next.max) return 'timings.job_ms.min must be <= max';
  if (next.median !== undefined && !isNonNegative(next.median)) return 'timings.job_ms.median must be a number >= 0';
  if (next.sigma !== undefined && !isNonNegative(next.sigma)) return 'timings.job_ms.sigma must be a number >= 0';
  return next;
}

/** Merge a timings patch; returns an error message instead when it is invalid. */
export function mergeTimings(current: EmulatorTimings, patch: unknown): EmulatorTimings | string {
  if (!isObject(patch)) return 'timings must be an object';
  const next: EmulatorTimings = { ...current, job_ms: { ...current.job_ms } };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'vpc_ready_ms' || key === 'subnet_ready_ms') {
      if (!isNonNegative(value)) return `timings.${key} must be a number >= 0`;
      next[key] = value;
    } else if (key === 'job_ms') {
      const job = checkJobDurations(value, next.job_ms);
      if (typeof job === 'string') return job;
      next.job_ms = job;
    } else {
      return `unknown timing: ${key}`;
    }
  }
  return next;
}

/** Merge a faults patch; returns an error message instead when it is invalid. */
export function mergeFaults(current: EmulatorFaults, patch: unknown): EmulatorFaults | string {
  if (!isObject(patch)) return 'faults must be an object';
  const next: EmulatorFaults = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'error_rate':
      case 'drop_response_rate':
      case 'job_fail_rate':
        if (!isRate(value)) return `faults.${key} must be a number in 0..1`;
        next[key] = value;
        break;
      case 'throttle_rps':
      case 'latency_ms':
        if (!isNonNegative(value)) return `faults.${key} must be a number >= 0`;
        next[key] = value;
        break;
      default:
        return `unknown fault: ${key}`;
    }
  }
  return next;
}
