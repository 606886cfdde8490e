/**
 * Lifecycles computed from timestamps on the injected clock (deterministic, no timers): VPC CREATING→OK,
 * subnet UNKNOWN→ACTIVE, ECS job INIT→RUNNING→SUCCESS|FAIL; job durations; the documented time formats.
 */
import type { JobDurations } from './types.js';
import type { JobModel, SubnetModel, VpcModel } from './models.js';

/** VPC v1 `created_at`/`updated_at`: UTC `yyyy-MM-ddTHH:mm:ss` (huawei-cloud-api.md §1.4). */
export function vpcTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** ECS job times: ISO-8601 UTC with millis. */
export function jobTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** ECS server `created`/`updated`: `2019-07-15T11:30:52Z`. */
export function serverTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `OS-SRV-USG:launched_at`: `2019-07-15T11:31:09.000000` (no zone). */
export function launchedTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.000000`;
}

export function vpcStatus(vpc: VpcModel, now: number): 'CREATING' | 'OK' {
  return now >= vpc.readyAt ? 'OK' : 'CREATING';
}

export function subnetStatus(subnet: SubnetModel, now: number): 'UNKNOWN' | 'ACTIVE' {
  return now >= subnet.f.readyAt ? 'ACTIVE' : 'UNKNOWN';
}

export function jobPhase(job: JobModel, now: number): 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL' {
  if (job.settled && job.outcome) return job.outcome;
  if (now < job.runningAt) return 'INIT';
  return 'RUNNING';
}

/** A job is busy (holds its server) until its end time. */
export function jobBusy(job: JobModel, now: number): boolean {
  return !job.settled && now < job.endAt;
}

/** Standard normal deviate (Box–Muller) from the injected random source. */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A job duration: log-normal (median, sigma) clipped to min..max when both are set, else uniform in min..max. */
export function sampleDuration(d: JobDurations, random: () => number): number {
  if (d.max <= d.min) return d.min;
  if (d.median !== undefined && d.sigma !== undefined && d.median > 0) {
    const value = d.median * Math.exp(d.sigma * normal(random));
    return Math.round(Math.min(d.max, Math.max(d.min, value)));
  }
  return Math.round(d.min + random() * (d.max - d.min));
}

/** INIT lasts a tenth of the job, at most one second (RUNNING takes the rest). */
export function initPhaseMs(durationMs: number): number {
  return Math.min(1000, Math.floor(durationMs / 10));
}
