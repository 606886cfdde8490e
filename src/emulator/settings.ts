/**
 * The emulator's adjustable settings: defaults, merging of partial updates, and validation of
 * PUT /_emulator/config bodies and createEmulator options (a bad patch changes nothing).
 *
 * Each section merges key by key (keys not given keep their value), with one exception: `timings.job_ms` is a
 * distribution and is always replaced as a whole, so `{min, max}` alone means uniform in min..max (design.md §4)
 * instead of inheriting the log-normal median/sigma of the value it replaces.
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
    clock_skew_code: 'APIGW.0301',
    ak_lockout_failures: 0,
    ak_lockout_ms: 5 * 60 * 1000,
    availability_zones: [`${region}a`, `${region}b`, `${region}c`],
    reserved_tail_ips: 3,
    port_id_nic_on_detach: 'keep',
  };
}

const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isRate = (v: unknown): v is number => isNonNegative(v) && v <= 1;
const isIntIn = (min: number, max: number) => (v: unknown): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

const JOB_KEYS = new Set(['min', 'max', 'median', 'sigma']);

/** A whole job duration distribution (see the file comment); `null` for median/sigma means absent. */
function checkJobDurations(v: unknown): JobDurations | string {
  if (!isObject(v)) return 'timings.job_ms must be an object {min, max, median?, sigma?}';
  for (const key of Object.keys(v)) if (!JOB_KEYS.has(key)) return `unknown key timings.job_ms.${key}`;
  if (!isNonNegative(v.min) || !isNonNegative(v.max)) return 'timings.job_ms needs min and max, numbers >= 0 (job_ms is replaced as a whole)';
  if (v.min > v.max) return 'timings.job_ms.min must be <= max';
  const median = v.median ?? undefined;
  const sigma = v.sigma ?? undefined;
  if (median !== undefined && !isNonNegative(median)) return 'timings.job_ms.median must be a number >= 0';
  if (sigma !== undefined && !isNonNegative(sigma)) return 'timings.job_ms.sigma must be a number >= 0';
  if ((median === undefined) !== (sigma === undefined)) return 'timings.job_ms.median and sigma go together (both for log-normal, neither for uniform)';
  return median === undefined ? { min: v.min, max: v.max } : { min: v.min, max: v.max, median, sigma: sigma as number };
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
      const job = checkJobDurations(value);
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

const oneOf = (values: readonly string[]) => (v: unknown): boolean => typeof v === 'string' && values.includes(v);
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const ECS_STATUS_RE = /^[A-Z_]+$/;

/** Per limit: its check and what a valid value is (the 400 message names the field and this). */
const LIMIT_RULES: { [K in keyof EmulatorLimits]: [check: (v: unknown) => boolean, expected: string] } = {
  vpc_quota: [isIntIn(0, 1_000_000), 'an integer in 0..1000000'],
  subnet_quota: [isIntIn(0, 1_000_000), 'an integer in 0..1000000'],
  port_quota: [isIntIn(0, 1_000_000), 'an integer in 0..1000000'],
  max_nics: [isIntIn(1, 128), 'an integer in 1..128'],
  nic_limit_mode: [oneOf(['sync', 'job']), '"sync" or "job"'],
  max_nics_per_request: [isIntIn(1, 1000), 'an integer in 1..1000'],
  attach_allowed_states: [
    (v) => Array.isArray(v) && v.every((s) => typeof s === 'string' && ECS_STATUS_RE.test(s)),
    'a list of ECS statuses such as ["ACTIVE", "SHUTOFF"]',
  ],
  cross_vpc_code: [oneOf(['Ecs.0064', 'Ecs.0014']), '"Ecs.0064" or "Ecs.0014"'],
  subnet_requires_vpc_ok: [isBool, 'a boolean'],
  port_requires_subnet_active: [isBool, 'a boolean'],
  port_status_on_shutoff: [oneOf(['DOWN', 'ACTIVE']), '"DOWN" or "ACTIVE"'],
  default_page_size: [isIntIn(1, 2000), 'an integer in 1..2000'],
  job_retention_ms: [isNonNegative, 'a number >= 0'],
  clock_skew_ms: [isNonNegative, 'a number >= 0'],
  clock_skew_code: [oneOf(['APIGW.0301', 'APIGW.0303']), '"APIGW.0301" or "APIGW.0303"'],
  ak_lockout_failures: [isIntIn(0, 1_000_000), 'an integer >= 0'],
  ak_lockout_ms: [isNonNegative, 'a number >= 0'],
  availability_zones: [
    (v) => Array.isArray(v) && v.length > 0 && v.every((z) => typeof z === 'string' && z !== '' && z.length <= 64),
    'a non-empty list of availability zone names',
  ],
  reserved_tail_ips: [isIntIn(1, 4), 'an integer in 1..4'],
  port_id_nic_on_detach: [oneOf(['keep', 'delete']), '"keep" or "delete"'],
};

/** Merge a limits patch (key by key); returns an error message naming the field instead when it is invalid. */
export function mergeLimits(current: EmulatorLimits, patch: unknown): EmulatorLimits | string {
  if (!isObject(patch)) return 'limits must be an object';
  const next = structuredClone(current);
  for (const [key, value] of Object.entries(patch)) {
    if (!Object.hasOwn(LIMIT_RULES, key)) return `unknown limit: ${key}`;
    if (value === undefined) continue; // in-process `{ key: undefined }`: not given (JSON cannot say it)
    const [check, expected] = LIMIT_RULES[key as keyof EmulatorLimits];
    if (!check(value)) return `limits.${key} must be ${expected}`;
    (next as unknown as Record<string, unknown>)[key] = structuredClone(value);
  }
  return next;
}
