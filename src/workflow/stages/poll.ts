/**
 * Stage `poll`: follows the ECS job until it ends, then confirms the NIC.
 *
 * Creates:      nothing. Re-entrant: all state is in the record (ecs_job_id, ecs_job_submitted_at,
 *               poll_count); each run is one ShowJob (plus one ListServerInterfaces at the end).
 * Idempotency:  reads only. SUCCESS is confirmed by ListServerInterfaces before the attachment succeeds
 *               (nic_id = sub_jobs[0].entities.nic_id, else the port id; ip and mac from the interface).
 *               A job id that was never recorded, or that ECS has purged, is fine when the port is attached.
 *               Without a job id (the attach stage found the port on the server after a lost answer), a NIC
 *               not listed yet is looked for again until attach_requested_at + ecsJobDeadlineMs.
 * Undone by:    — (cleanup undoes the attach stage's effect on failure).
 * Terminal:     ECS_JOB_FAILED (job FAIL: error_code as cloud_code, fail_reason as message);
 *               ECS_JOB_TIMEOUT (still not ended at ecs_job_submitted_at + ecsJobDeadlineMs);
 *               ECS_JOB_NOT_FOUND (no such job and the port is not attached); NIC_NOT_ATTACHED (no job id and
 *               the NIC still not listed at the deadline, or a SUCCESS job whose NIC is not listed by then).
 * Waits:        while the job is INIT/RUNNING, at the adaptive delay of ../poll-schedule.ts (learned from
 *               recent job durations), never past the deadline. The server lease is renewed on each poll.
 */
import type { InterfaceAttachment, Job } from '../../cloud/types.js';
import type { StageDeps } from '../deps.js';
import { terminal } from '../errors.js';
import { failed, succeeded, wait, type StageOutcome } from '../outcome.js';
import { nextPollDelay } from '../poll-schedule.js';
import type { AttachmentRecord } from '../types.js';
import { leaseTtlFor } from './attach.js';
import { findInterface, isNotFound } from './common.js';

function nicFields(record: AttachmentRecord, nic: InterfaceAttachment, job: Job | undefined, pollCount: number): Partial<AttachmentRecord> {
  const nicId = job?.entities.sub_jobs?.[0]?.entities.nic_id ?? job?.entities.nic_id ?? nic.port_id;
  const ip = nic.fixed_ips[0]?.ip_address ?? record.ip_address;
  return {
    nic_id: nicId,
    poll_count: pollCount,
    ...(ip ? { ip_address: ip } : {}),
    ...(nic.mac_addr || record.mac_address ? { mac_address: nic.mac_addr || record.mac_address } : {}),
  };
}

/** The job's own run time when ECS reports both ends, else what this side observed. */
export function jobDuration(job: Job, submittedAt: number, now: number): number {
  const begin = job.begin_time ? Date.parse(job.begin_time) : Number.NaN;
  const end = job.end_time ? Date.parse(job.end_time) : Number.NaN;
  if (Number.isFinite(begin) && Number.isFinite(end) && end >= begin) return end - begin;
  return Math.max(0, now - submittedAt);
}

async function confirmAttached(record: AttachmentRecord, job: Job | undefined, pollCount: number, deps: StageDeps): Promise<StageOutcome | undefined> {
  const portId = record.port_id as string;
  const ifs = await deps.cloud.listServerInterfaces(record.server_id);
  const nic = findInterface(ifs, portId);
  return nic ? succeeded(nicFields(record, nic, job, pollCount)) : undefined;
}

export async function runPollStage(record: AttachmentRecord, deps: StageDeps): Promise<StageOutcome> {
  const portId = record.port_id;
  if (!portId) throw new Error(`attachment ${record.id} reached the poll stage without a port_id`);
  const now = deps.clock.now();
  const pollCount = (record.poll_count ?? 0) + 1;
  const submittedAt = record.ecs_job_submitted_at ? Date.parse(record.ecs_job_submitted_at) : now;
  const deadline = submittedAt + deps.settings.ecsJobDeadlineMs;

  if (!record.ecs_job_id) {
    // The attach stage saw the port on the server (its device_id) or in ListServerInterfaces after a post whose
    // answer was lost: there is a job, but not its id. The NIC may be listed only when that job ends, so an
    // absent NIC is looked for again until the poll deadline, counted from the attach request, before failing.
    const ok = await confirmAttached(record, undefined, pollCount, deps);
    if (ok) return ok;
    const requestedAt = Date.parse(record.attach_requested_at ?? '') || Date.parse(record.stages.poll?.started_at ?? '') || now;
    const nicDeadline = requestedAt + deps.settings.ecsJobDeadlineMs;
    if (now >= nicDeadline) {
      return failed(
        terminal('NIC_NOT_ATTACHED', `port ${portId} is not attached to server ${record.server_id} ${deps.settings.ecsJobDeadlineMs} ms after the attach request, and no ECS job is recorded`, {
          port_id: portId,
        }),
        { poll_count: pollCount },
      );
    }
    return waitAndRenew(record, now - requestedAt, nicDeadline - now, `port ${portId} not listed on server ${record.server_id} yet (no ECS job id)`, pollCount, deps);
  }

  let job: Job;
  try {
    job = await deps.cloud.showJob(record.ecs_job_id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const ok = await confirmAttached(record, undefined, pollCount, deps);
    return ok ?? failed(terminal('ECS_JOB_NOT_FOUND', `ECS job ${record.ecs_job_id} does not exist and port ${portId} is not attached`, { ecs_job_id: record.ecs_job_id }));
  }

  if (job.status === 'SUCCESS') {
    const ok = await confirmAttached(record, job, pollCount, deps);
    if (ok) {
      await deps.jobDurations.record(jobDuration(job, submittedAt, now));
      return ok;
    }
    if (now >= deadline) {
      return failed(terminal('NIC_NOT_ATTACHED', `ECS job ${job.job_id} succeeded but port ${portId} is not listed on server ${record.server_id}`, { ecs_job_id: job.job_id }));
    }
    return wait(deps.settings.pollMinDelayMs, `ECS job ${job.job_id} succeeded; NIC not listed yet`, { poll_count: pollCount });
  }
  if (job.status === 'FAIL') {
    const sub = job.entities.sub_jobs?.find((s) => s.status === 'FAIL');
    const reason = job.fail_reason ?? sub?.fail_reason ?? sub?.entities.errorcode_message ?? 'no reason given';
    const code = job.error_code ?? sub?.error_code ?? undefined;
    return failed(
      terminal('ECS_JOB_FAILED', `ECS job ${job.job_id} failed${code ? ` with ${code}` : ''}: ${reason}`, {
        ...(code ? { cloud_code: code } : {}),
        ecs_job_id: job.job_id,
        fail_reason: reason,
      }),
      { poll_count: pollCount },
    );
  }
  if (now >= deadline) {
    return failed(
      terminal('ECS_JOB_TIMEOUT', `ECS job ${job.job_id} is still ${job.status} after ${deps.settings.ecsJobDeadlineMs} ms (deadline)`, { ecs_job_id: job.job_id }),
      { poll_count: pollCount },
    );
  }
  return waitAndRenew(record, now - submittedAt, deadline - now, `ECS job ${job.job_id} is ${job.status}`, pollCount, deps);
}

/** The next look at the adaptive delay (never past the deadline), the server lease renewed to outlive it. */
async function waitAndRenew(record: AttachmentRecord, elapsedMs: number, leftMs: number, reason: string, pollCount: number, deps: StageDeps): Promise<StageOutcome> {
  const learned = await deps.jobDurations.recent();
  const delay = Math.min(nextPollDelay(elapsedMs, learned, deps.settings), Math.max(deps.settings.pollMinDelayMs, leftMs));
  await deps.leases.renew(deps.keys.serverLease(record.server_id), record.id, leaseTtlFor(deps, delay));
  return wait(delay, reason, { poll_count: pollCount });
}
