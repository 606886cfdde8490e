/**
 * Stage `attach`: asks ECS to attach the port to the server (BatchAddServerNics with port_id).
 *
 * Creates:      an ECS job (its id is recorded at once, with ecs_job_submitted_at); the NIC itself appears
 *               when the job succeeds.
 * Idempotency:  one attach at a time per server: the lease keys.serverLease(serverId), owned by the
 *               attachment id (re-entrant, renewed by the poll stage, released when the attachment ends).
 *               The marker `attach_requested_at` is written (awaited) just before the POST. A recorded
 *               ecs_job_id → go to poll. A marker without a job id (an earlier run posted, or was about to,
 *               and its answer was lost) → ListServerInterfaces (our port already there → poll), then the
 *               port's device_id, before posting again. Neither set → no BatchAddServerNics was ever sent
 *               for this attachment, so it posts at once without the pre-check; a post the cloud refused (an
 *               error answer, e.g. Ecs.0603) in a run that found no marker empties it again. The job id goes into the
 *               outcome's fields: the stage-change write that follows the answer is the first Redis write
 *               after it (nothing else is written in between), so it is recorded the moment it is known.
 * Undone by:    cleanup: BatchDeleteServerNics when the port ended up attached, then DeletePort.
 * Terminal:     NIC_LIMIT_REACHED (Ecs.0050), SERVER_STATE_INVALID (Ecs.0100 / Ecs.0605), VPC_MISMATCH
 *               (Ecs.0064 / Ecs.0014), PORT_NOT_ATTACHABLE (Ecs.0919 for a port that is not on this server),
 *               SERVER_NOT_FOUND (404); other 4xx fail with the cloud's code.
 * Waits:        while another attachment holds the server lease; on Ecs.0603 (the server is busy with
 *               another operation) — waiting, not failing.
 */
import type { StageDeps } from '../deps.js';
import { terminal, type WorkflowErrorCode } from '../errors.js';
import { failed, next, wait, type StageOutcome } from '../outcome.js';
import { firstPollDelay } from '../poll-schedule.js';
import type { AttachmentRecord } from '../types.js';
import { cloudCodeOf, findInterface, isNotFound, jittered, mayHaveActed, requestIdOf } from './common.js';

const ATTACH_TERMINAL_CODES: Record<string, WorkflowErrorCode> = {
  'Ecs.0050': 'NIC_LIMIT_REACHED',
  'Ecs.0100': 'SERVER_STATE_INVALID',
  'Ecs.0605': 'SERVER_STATE_INVALID',
  'Ecs.0064': 'VPC_MISMATCH',
  'Ecs.0014': 'VPC_MISMATCH',
  'Ecs.0114': 'SERVER_NOT_FOUND',
  'Ecs.0614': 'SERVER_NOT_FOUND',
};

/** The lease lives at least this long past a scheduled poll, so it does not lapse between two polls. */
export function leaseTtlFor(deps: Pick<StageDeps, 'settings'>, delayMs: number): number {
  return deps.settings.serverLeaseTtlMs + Math.max(0, delayMs);
}

async function portOnServer(record: AttachmentRecord, portId: string, deps: StageDeps): Promise<'here' | 'free' | 'elsewhere' | 'gone'> {
  try {
    const port = await deps.cloud.showPort(portId);
    if (port.device_id === record.server_id) return 'here';
    return port.device_id === '' ? 'free' : 'elsewhere';
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
}

export async function runAttachStage(record: AttachmentRecord, deps: StageDeps): Promise<StageOutcome> {
  const portId = record.port_id;
  if (!portId) throw new Error(`attachment ${record.id} reached the attach stage without a port_id`);
  // The first poll's delay is known before the post, so the lease is taken for long enough at once (it
  // lives serverLeaseTtlMs past the first poll) and nothing but the stage-change write follows the answer.
  const delay = firstPollDelay(await deps.jobDurations.recent(), deps.settings);
  const leaseKey = deps.keys.serverLease(record.server_id);
  const leasedAt = deps.clock.now();
  const lease = await deps.leases.acquire(leaseKey, record.id, leaseTtlFor(deps, delay));
  if (!lease.acquired) {
    return wait(jittered(deps.settings.waitDelayMs, deps.random), `server ${record.server_id} lease held by ${lease.holder ?? 'another attachment'}`);
  }

  if (record.ecs_job_id) return next('poll');
  if (record.attach_requested_at) {
    // A previous run posted (or was about to) and lost the answer: the port may be attached or on its way.
    const ifs = await deps.cloud.listServerInterfaces(record.server_id);
    if (findInterface(ifs, portId)) return next('poll');
    const where = await portOnServer(record, portId, deps);
    if (where === 'here') return next('poll');
    if (where === 'elsewhere') return failed(terminal('PORT_NOT_ATTACHABLE', `port ${portId} is attached to another device`, { port_id: portId }));
    if (where === 'gone') return failed(terminal('PORT_NOT_ATTACHABLE', `port ${portId} no longer exists`, { port_id: portId }));
  }

  if (!(await deps.store.patch(record.id, { attach_requested_at: new Date(deps.clock.now()).toISOString() }))) {
    return { kind: 'stopped', reason: 'attachment ended before its attach request was posted' };
  }
  let jobId: string;
  try {
    jobId = (await deps.cloud.batchAddServerNics(record.server_id, [{ port_id: portId }])).job_id;
  } catch (err) {
    // Refused by the cloud (an error answer: no job was made) by a run that found no marker: no post of this
    // attachment was ever carried out, so drop the marker and let the retry post at once, without the
    // ListServerInterfaces / ShowPort look-ups. When the marker was there before this run, it stays: that
    // earlier post may have made a job that is still running (the port shows on the server only once it ends),
    // and the look-ups are what finds it.
    if (!mayHaveActed(err) && !record.attach_requested_at) await deps.store.patch(record.id, { attach_requested_at: '' });
    const code = cloudCodeOf(err);
    if (code === 'Ecs.0603') {
      return wait(jittered(deps.settings.waitDelayMs, deps.random), `server ${record.server_id} is busy with another operation (Ecs.0603)`);
    }
    if (code === 'Ecs.0919') {
      const where = await portOnServer(record, portId, deps);
      if (where === 'here') return next('poll');
      return failed(terminal('PORT_NOT_ATTACHABLE', `port ${portId} cannot be attached (Ecs.0919): it is ${where === 'gone' ? 'gone' : 'attached elsewhere'}`, { cloud_code: code, request_id: requestIdOf(err) }));
    }
    const mapped = code === undefined ? (isNotFound(err) ? 'SERVER_NOT_FOUND' : undefined) : ATTACH_TERMINAL_CODES[code];
    if (mapped) {
      const message = err instanceof Error ? err.message : String(err);
      return failed(terminal(mapped, `BatchAddServerNics refused: ${message}`, { cloud_code: code, request_id: requestIdOf(err) }));
    }
    throw err;
  }
  // A post that took long (rate limit waits, slow answers) would leave less than the lease TTL past the first
  // poll: renew then. The common case writes nothing here.
  if (deps.clock.now() - leasedAt > deps.settings.serverLeaseTtlMs / 2) await deps.leases.renew(leaseKey, record.id, leaseTtlFor(deps, delay));
  // Written with the stage change (the next record write): see Idempotency above.
  return next('poll', { ecs_job_id: jobId, ecs_job_submitted_at: new Date(deps.clock.now()).toISOString() }, delay);
}
