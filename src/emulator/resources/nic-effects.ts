/**
 * What an ECS NIC job does when it completes (effects happen at the job's end time, not at submission):
 * attach (port_id → the port gets device_id/device_owner; subnet_id → ECS creates the port) or detach.
 *
 * LIMITATIONS
 * - Each sub-job (one per requested NIC) succeeds or fails on its own; there is no rollback of the sub-jobs that
 *   succeeded when another failed (UNVERIFIED aggregation rule). The job is FAIL when any sub-job failed, with
 *   the first failure's error_code and fail_reason.
 * - Rules are re-checked at completion (the world may have changed while the job ran): port gone → Ecs.0217,
 *   port taken meanwhile → Ecs.0919, NIC limit (limits.nic_limit_mode 'job') → Ecs.0050, subnet gone →
 *   Ecs.0038, IP taken meanwhile → Ecs.0010, subnet full → Ecs.0012.
 * - Detach: a NIC that ECS created (subnet_id attach) is deleted with its port ([DOC] "uninstall and delete").
 *   A port attached by port_id: UNVERIFIED (huawei-cloud-api.md §4.3), so limits.port_id_nic_on_detach chooses —
 *   'keep' (default: the elastic NIC survives, back to DOWN with device_id "" and device_owner "") or 'delete'.
 * - job_fail_rate failures: every sub-job FAIL with Ecs.0217 (attach) / Ecs.0507 (detach), nothing changes.
 */
import { formatIpv4 } from '../../lib/net.js';
import type { JobModel, ServerModel, SubJobModel } from '../models.js';
import type { EmulatorContext } from '../store.js';
import { allocateIp, insertPort, removePort } from './port-model.js';
import { attachedPorts, maxNicsOf } from './servers.js';

function fail(sub: SubJobModel, code: string, reason: string): void {
  sub.outcome = 'FAIL';
  sub.errorCode = code;
  sub.failReason = reason;
}

function attachOne(ctx: EmulatorContext, server: ServerModel, sub: SubJobModel): void {
  const max = maxNicsOf(ctx, server);
  if (ctx.settings.limits.nic_limit_mode === 'job' && attachedPorts(ctx, server).length >= max) {
    return fail(sub, 'Ecs.0050', `The number of NICs of server ${server.id} exceeds the quota (${max}).`);
  }
  const owner = `compute:${server.az}`;
  if (sub.subnetId !== undefined) {
    const subnet = ctx.store.subnets.get(sub.subnetId);
    if (!subnet) return fail(sub, 'Ecs.0038', `Subnet ${sub.subnetId} does not exist.`);
    const ip = allocateIp(ctx, subnet, sub.ipAddress === undefined ? undefined : formatIpv4(sub.ipAddress));
    if (ip === 'in_use') return fail(sub, 'Ecs.0010', 'The private IP address is already in use.');
    if (ip === 'exhausted') return fail(sub, 'Ecs.0012', 'The subnet has no free IP addresses.');
    if (typeof ip === 'string') return fail(sub, 'Ecs.0212', 'Private IP allocation failed.');
    insertPort(ctx, subnet, ip, {
      id: sub.portId,
      deviceId: server.id,
      deviceOwner: owner,
      zoneId: server.az,
      ecsCreated: true,
      ...(sub.securityGroups ? { securityGroups: sub.securityGroups } : {}),
    });
  } else {
    const port = ctx.store.ports.get(sub.portId);
    if (!port) return fail(sub, 'Ecs.0217', `Attaching the NIC failed: port ${sub.portId} does not exist.`);
    if (port.f.deviceId !== '') return fail(sub, 'Ecs.0919', `Port ${sub.portId} is attached to another instance.`);
    port.f.deviceId = server.id;
    port.f.deviceOwner = owner;
    port.f.zoneId = server.az;
  }
  sub.outcome = 'SUCCESS';
}

function detachOne(ctx: EmulatorContext, server: ServerModel, sub: SubJobModel): void {
  const port = ctx.store.ports.get(sub.portId);
  if (!port || port.f.deviceId !== server.id) return fail(sub, 'Ecs.0085', `The server does not have NIC ${sub.portId}.`);
  if (port.f.ecsCreated || ctx.settings.limits.port_id_nic_on_detach === 'delete') {
    removePort(ctx, port);
  } else {
    port.f.deviceId = '';
    port.f.deviceOwner = '';
  }
  sub.outcome = 'SUCCESS';
}

/** Carry out a finished job's effects and record its outcome. */
export function applyJob(ctx: EmulatorContext, job: JobModel): void {
  const server = ctx.store.servers.get(job.serverId);
  for (const sub of job.subs) {
    if (job.injectedFailure) {
      if (job.kind === 'attach') fail(sub, 'Ecs.0217', 'Attaching the NIC failed (injected fault: job_fail_rate).');
      else fail(sub, 'Ecs.0507', 'Deleting the NIC failed (injected fault: job_fail_rate).');
    } else if (!server) {
      fail(sub, 'Ecs.0114', `The ECS ${job.serverId} does not exist.`);
    } else if (job.kind === 'attach') {
      attachOne(ctx, server, sub);
    } else {
      detachOne(ctx, server, sub);
    }
  }
  const failed = job.subs.find((s) => s.outcome === 'FAIL');
  job.outcome = failed ? 'FAIL' : 'SUCCESS';
  job.errorCode = failed?.errorCode;
  job.failReason = failed?.failReason;
  if (server) server.updatedAt = job.endAt;
}
