/**
 * Cleanup (its own queue, retried): after a terminal failure or a cancel, undo in reverse order what this
 * attachment created and nobody else uses.
 *
 * Creates:      nothing but, when the port ended up attached, a BatchDeleteServerNics job (recorded as
 *               cleanup.detach_job_id and followed until it ends).
 * Idempotency:  every step checks before acting and 404 means "already gone"; progress is in record.cleanup,
 *               so a re-run picks up where the last one stopped. The port is looked up by id AND by its
 *               deterministic name (a port created but never recorded is found too).
 * Order:        1. an ECS attach job that may still run (timeout, retries exhausted) is waited for (at
 *               most max(ecsJobDeadlineMs, 10 min) after the attachment ended), so it cannot attach the port
 *               after it was deleted, and the cloud does not refuse the delete (409, port in use);
 *               2. a port on the server is detached (BatchDeleteServerNics, which also deletes it), an
 *               unattached one deleted; a port on another device is left alone;
 *               3. with config.workflow.cleanupDeleteNetworks (env CLEANUP_DELETE_NETWORKS; the issue's
 *               `cleanup.deleteNetworks`): the subnet this attachment created, when no port is left in it and
 *               no other live attachment uses it (409 / "in use" = leave). No VPC: the network stage never
 *               creates one (a `created_vpc` on a record written before that change is ignored).
 * Terminal:     none: failures are retried by the queue; the last attempt records cleanup.status = failed.
 */
import type { Job } from '../../cloud/types.js';
import { AppError } from '../../lib/errors.js';
import type { HeldLock, StageDeps } from '../deps.js';
import { portName, isNotFound, cloudCodeOf } from './common.js';
import { subnetLockKey } from './subnet.js';
import type { AttachmentRecord, CleanupResult } from '../types.js';

export type CleanupOutcome = { kind: 'wait'; delayMs: number; reason: string; progress: CleanupResult } | { kind: 'done'; result: CleanupResult };

export type CleanupDeps = Omit<StageDeps, 'store'>;

/** How long cleanup waits at least for an attach job that outlived the deadline to end. */
const JOB_END_WAIT_MS = 600_000;
const RUNNING_JOB = new Set<Job['status']>(['INIT', 'RUNNING', 'PENDING_PAYMENT']);
/** Cloud answers meaning "still used by something": leave the resource. */
const IN_USE_CODES = new Set(['VPC.0104', 'VPC.0108', 'VPC.0109', 'VPC.0208', 'VPC.0209', 'VPC.0210', 'VPC.0211', 'VPC.0206']);

async function showJobOrUndefined(jobId: string, deps: CleanupDeps): Promise<Job | undefined> {
  try {
    return await deps.cloud.showJob(jobId);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function ignoreNotFound(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** true when deleted (or already gone), false when the cloud says it is still in use. */
async function deleteUnlessInUse(fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    if (isNotFound(err)) return true;
    const code = cloudCodeOf(err);
    if ((code && IN_USE_CODES.has(code)) || (err instanceof AppError && err.code === 'CLOUD_CONFLICT')) return false;
    throw err;
  }
}

async function cleanPorts(record: AttachmentRecord, result: CleanupResult, deps: CleanupDeps): Promise<CleanupOutcome | undefined> {
  const named = await deps.cloud.listAllPorts({ name: portName(record.id) });
  const ids = [...new Set([record.port_id, ...named.filter((p) => p.name === portName(record.id)).map((p) => p.id)].filter((x): x is string => !!x))];
  for (const id of ids) {
    let port;
    try {
      port = await deps.cloud.showPort(id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      result.port_deleted = true;
      continue;
    }
    if (port.device_id === record.server_id) {
      if (result.detach_job_id) {
        const job = await showJobOrUndefined(result.detach_job_id, deps);
        if (job && RUNNING_JOB.has(job.status)) {
          return { kind: 'wait', delayMs: deps.settings.waitDelayMs, reason: `detach job ${job.job_id} is ${job.status}`, progress: result };
        }
        const jobId = result.detach_job_id;
        delete result.detach_job_id;
        if (job?.status === 'FAIL') {
          throw new AppError('CLEANUP_DETACH_FAILED', `detach job ${jobId} failed: ${job.fail_reason ?? job.error_code ?? 'no reason'}`, { retryable: true });
        }
        // SUCCESS (or purged) but the port still shows the server: look again on the next run.
        return { kind: 'wait', delayMs: deps.settings.waitDelayMs, reason: `port ${id} still attached after detach job ${jobId}`, progress: result };
      }
      try {
        result.detach_job_id = (await deps.cloud.batchDeleteServerNics(record.server_id, [id])).job_id;
      } catch (err) {
        if (cloudCodeOf(err) === 'Ecs.0603') return { kind: 'wait', delayMs: deps.settings.waitDelayMs, reason: 'server busy (Ecs.0603)', progress: result };
        throw err;
      }
      result.nic_detached = true;
      return { kind: 'wait', delayMs: deps.settings.waitDelayMs, reason: `detach job ${result.detach_job_id} submitted`, progress: result };
    }
    if (port.device_id === '') {
      try {
        await ignoreNotFound(() => deps.cloud.deletePort(id));
      } catch (err) {
        // 409: the port is busy (an attach or detach still settling): retried with backoff, bounded by attempts.
        if (err instanceof AppError && err.code === 'CLOUD_CONFLICT') throw new AppError('CLEANUP_PORT_BUSY', err.message, { retryable: true, cause: err });
        throw err;
      }
      result.port_deleted = true;
    } else {
      result.error = `port ${id} is attached to ${port.device_id}, not to server ${record.server_id}: left alone`;
    }
  }
  return undefined;
}

/**
 * The subnet this attachment created, with cleanupDeleteNetworks: deleted only when nothing uses it — no port
 * in it (the cloud's own DHCP/router ports aside) and no other live attachment in its users set
 * (../subnet-users.ts: a sibling that found the subnet but has not made its port yet shows no port). Under the
 * subnet's find-or-create lock, which the siblings hold while they find it and join the set; the lock is
 * confirmed right before the delete. (No VPC is ever deleted: the network stage creates none.)
 */
async function cleanSubnet(record: AttachmentRecord, result: CleanupResult, deps: CleanupDeps): Promise<void> {
  const vpcId = record.vpc_id;
  const subnetSpec = record.request.subnet;
  if (!record.created_subnet || !record.subnet_id || !vpcId) return;
  const subnetId = record.subnet_id;
  const remove = async (held?: HeldLock): Promise<void> => {
    const users = await deps.subnetUsers.liveOthers(subnetId, record.id);
    if (users.length > 0) {
      result.subnet_deleted = false;
      deps.logger.info({ attachment_id: record.id, subnet_id: subnetId, users: users.slice(0, 10) }, 'subnet left: other attachments are using it');
      return;
    }
    const ports = await deps.cloud.listAllPorts({ network_id: subnetId });
    // Ports the cloud keeps for itself (DHCP, router) do not count as use.
    if (ports.some((p) => !p.device_owner.startsWith('network:'))) {
      result.subnet_deleted = false;
      return;
    }
    if (held && !(await held.confirm())) throw new AppError('CLEANUP_LOCK_LOST', `subnet lock of ${subnetId} expired before the delete; will retry`, { retryable: true });
    result.subnet_deleted = await deleteUnlessInUse(() => deps.cloud.deleteSubnet(vpcId, subnetId));
    if (result.subnet_deleted) await deps.subnetUsers.drop(subnetId);
  };
  if (subnetSpec && 'name' in subnetSpec) {
    // Under the find-or-create lock, so a concurrent attachment does not find a subnet being deleted.
    const res = await deps.locks.withLock(deps.keys.createLock('subnet', subnetLockKey(vpcId, subnetSpec)), deps.settings.lockTtlMs, remove);
    if (!res.acquired) throw new AppError('CLEANUP_LOCK_BUSY', `subnet lock "${subnetSpec.name}" is held; will retry`, { retryable: true });
  } else {
    await remove();
  }
}

export async function runCleanup(record: AttachmentRecord, deps: CleanupDeps): Promise<CleanupOutcome> {
  const result: CleanupResult = { ...(record.cleanup ?? {}), status: 'pending' };
  delete result.error;

  // 1. An attach job that may still be running could attach the port after we delete it: let it end.
  if (record.ecs_job_id && record.error?.code !== 'ECS_JOB_FAILED') {
    const job = await showJobOrUndefined(record.ecs_job_id, deps);
    const endedAt = record.finished_at ? Date.parse(record.finished_at) : deps.clock.now();
    const giveUpAt = endedAt + Math.max(deps.settings.ecsJobDeadlineMs, JOB_END_WAIT_MS);
    if (job && RUNNING_JOB.has(job.status) && deps.clock.now() < giveUpAt) {
      const delayMs = Math.min(deps.settings.pollMaxDelayMs, Math.max(deps.settings.pollMinDelayMs, deps.settings.waitDelayMs));
      return { kind: 'wait', delayMs, reason: `ECS job ${job.job_id} is still ${job.status}`, progress: result };
    }
  }

  // 2. The port.
  const waiting = await cleanPorts(record, result, deps);
  if (waiting) return waiting;

  // This attachment has ended: it no longer holds its subnet (../subnet-users.ts).
  if (record.subnet_id) await deps.subnetUsers.remove(record.subnet_id, record.id);

  // 3. The subnet this attachment created, when configured and unused.
  if (deps.settings.cleanupDeleteNetworks) await cleanSubnet(record, result, deps);

  return { kind: 'done', result: { ...result, status: 'done', finished_at: new Date(deps.clock.now()).toISOString() } };
}
