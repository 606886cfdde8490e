/**
 * ECS jobs: ShowJob (huawei-cloud-api.md §4.2), job submission and lazy settlement. A job is INIT for the first
 * tenth of its duration (at most 1 s), then RUNNING, then SUCCESS or FAIL; its effects are applied when its end
 * time has passed, at the next request that looks (every request settles due jobs first).
 *
 * LIMITATIONS
 * - job_type 'addNicsForServer' / 'deleteNicsForServer' and sub-job job_type 'addNic' / 'deleteNic' are UNVERIFIED
 *   names. One sub-job per requested NIC. No PENDING_PAYMENT.
 * - begin_time is the submission time; end_time is null until the job has finished.
 * - entities.sub_jobs[].entities.nic_id: the port id, shown from the start for port_id attaches and detaches,
 *   and once the sub-job succeeded for NICs that ECS creates from a subnet. The job's own `entities` carry
 *   server_id, sub_jobs_total and sub_jobs, never a top-level nic_id: huawei-cloud-api.md §4.2 gives the NIC
 *   only per sub-job (its addNicsForServer example and the Terraform contract read sub_jobs[0].entities.nic_id).
 * - Finished jobs are purged after limits.job_retention_ms (default 1 day) → ShowJob 404.
 * - UNVERIFIED choice: unknown job id → 404 `{"error":{"code":"Ecs.0000","message":"The job does not exist."}}`.
 */
import type { Job, SubJob } from '../../cloud/types.js';
import { ecsError } from '../errors.js';
import { initPhaseMs, jobPhase, jobTime, sampleDuration } from '../lifecycle.js';
import { JobModel, type JobKind, type ServerModel, type SubJobModel } from '../models.js';
import type { RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { applyJob } from './nic-effects.js';

/** Accept a job: its duration and (fault) outcome are drawn now, its effects happen at its end time. */
export function submitJob(ctx: EmulatorContext, kind: JobKind, server: ServerModel, subs: SubJobModel[]): JobModel {
  const now = ctx.clock.now();
  const duration = sampleDuration(ctx.settings.timings.job_ms, ctx.random);
  const failRate = ctx.settings.faults.job_fail_rate;
  const injected = failRate > 0 && ctx.random() < failRate;
  const job = new JobModel(ctx.ids.hex32(), kind, server.id, subs, now, now + initPhaseMs(duration), now + duration, injected);
  ctx.store.jobs.set(job.id, job);
  ctx.store.pendingJobs.push(job);
  server.activeJobId = job.id;
  return job;
}

/** Apply every job whose end time has passed, in end-time order; purge jobs past retention. */
export function settle(ctx: EmulatorContext): void {
  const store = ctx.store;
  const now = ctx.clock.now();
  if (store.pendingJobs.length > 0) {
    const due = store.pendingJobs.filter((j) => j.endAt <= now);
    if (due.length > 0) {
      store.pendingJobs = store.pendingJobs.filter((j) => j.endAt > now);
      due.sort((a, b) => a.endAt - b.endAt);
      for (const job of due) {
        applyJob(ctx, job);
        job.settled = true;
        const server = store.servers.get(job.serverId);
        if (server?.activeJobId === job.id) server.activeJobId = undefined;
      }
    }
  }
  if (now - store.lastPurge >= 60_000) {
    store.lastPurge = now;
    const cutoff = now - ctx.settings.limits.job_retention_ms;
    for (const [id, job] of store.jobs) if (job.settled && job.endAt < cutoff) store.jobs.delete(id);
  }
}

export function isPurged(ctx: EmulatorContext, job: JobModel): boolean {
  return job.settled && job.endAt < ctx.clock.now() - ctx.settings.limits.job_retention_ms;
}

function subJobView(ctx: EmulatorContext, job: JobModel, sub: SubJobModel): SubJob {
  const now = ctx.clock.now();
  const status = sub.outcome ?? jobPhase(job, now);
  const showNic = job.kind === 'detach' || sub.subnetId === undefined || sub.outcome === 'SUCCESS';
  return {
    status,
    entities: {
      server_id: job.serverId,
      ...(showNic ? { nic_id: sub.portId } : {}),
      ...(sub.failReason ? { errorcode_message: sub.failReason } : {}),
    },
    job_id: sub.jobId,
    job_type: job.kind === 'attach' ? 'addNic' : 'deleteNic',
    begin_time: jobTime(job.createdAt),
    end_time: job.settled ? jobTime(job.endAt) : null,
    error_code: sub.errorCode ?? null,
    fail_reason: sub.failReason ?? null,
  };
}

export function jobView(ctx: EmulatorContext, job: JobModel): Job {
  return {
    status: jobPhase(job, ctx.clock.now()),
    entities: {
      server_id: job.serverId,
      sub_jobs_total: job.subs.length,
      sub_jobs: job.subs.map((s) => subJobView(ctx, job, s)),
    },
    job_id: job.id,
    job_type: job.kind === 'attach' ? 'addNicsForServer' : 'deleteNicsForServer',
    begin_time: jobTime(job.createdAt),
    end_time: job.settled ? jobTime(job.endAt) : null,
    error_code: job.errorCode ?? null,
    fail_reason: job.failReason ?? null,
  };
}

export const jobRoutes: RouteDef[] = [
  {
    op: 'ShowJob',
    method: 'GET',
    path: 'jobs/{job_id}',
    service: 'ecs',
    status: 200,
    handler: (ctx, req) => {
      const job = ctx.store.jobs.get(req.params.job_id ?? '');
      if (!job || isPurged(ctx, job)) throw ecsError(404, 'Ecs.0000', 'The job does not exist.');
      return jobView(ctx, job);
    },
  },
];
