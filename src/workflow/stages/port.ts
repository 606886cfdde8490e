/**
 * Stage `port`: creates this attachment's own port in the subnet.
 *
 * Creates:      one port, named `nicattach-<attachment id>`, with the requested fixed IP (fixed_ips with the
 *               subnet's neutron_subnet_id) and security groups (the request's, else
 *               config.workflow.defaultSecurityGroupIds, else the cloud's default). Records port_id,
 *               ip_address, mac_address and created_port at once.
 * Idempotency:  the deterministic name, and the marker `port_create_requested_at`, written (awaited) to the
 *               record just before the CreatePort POST. A record with neither port_id nor the marker has
 *               never sent a CreatePort, so the first run posts at once; a run that finds the marker (an
 *               earlier run crashed, or its answer was lost) looks the port up first (ListPorts?name=) and
 *               finds it instead of making a second one. Should two exist anyway, the extra unattached ones
 *               are deleted here. A CreatePort the cloud refused (an error answer) empties the marker again.
 * Undone by:    cleanup (detach if attached, then DeletePort; 404 = gone). If the attachment was cancelled
 *               while the port was being created, the stage-change write that records the port finds it
 *               ended, and the port is deleted right there (dropUnrecordedPort).
 * Writes:       the marker before the POST; port_id, ip/mac and created_port go with the stage change (one
 *               record write after the answer, not two — issue 7).
 * Terminal:     FIXED_IP_IN_USE (VPC.0701); other 4xx from CreatePort fail with the cloud's code.
 */
import type { CreatePortOption, Port } from '../../cloud/types.js';
import type { StageDeps } from '../deps.js';
import { terminal } from '../errors.js';
import { failed, next, type StageOutcome } from '../outcome.js';
import type { AttachmentRecord } from '../types.js';
import { cloudCodeOf, isNotFound, mayHaveActed, portName, requestIdOf } from './common.js';

export function createPortOption(record: AttachmentRecord, neutronSubnetId: string | undefined, defaultSecurityGroupIds: readonly string[]): CreatePortOption {
  const subnetId = record.subnet_id;
  if (!subnetId) throw new Error(`attachment ${record.id} reached the port stage without a subnet_id`);
  const fixedIp = record.request.port?.fixed_ip;
  const groups = record.request.port?.security_group_ids ?? (defaultSecurityGroupIds.length > 0 ? [...defaultSecurityGroupIds] : undefined);
  return {
    network_id: subnetId,
    name: portName(record.id),
    ...(fixedIp ? { fixed_ips: [{ ip_address: fixedIp, ...(neutronSubnetId ? { subnet_id: neutronSubnetId } : {}) }] } : {}),
    ...(groups ? { security_groups: groups } : {}),
  };
}

async function deleteQuietly(portId: string, deps: StageDeps): Promise<void> {
  try {
    await deps.cloud.deletePort(portId);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function findOwnPort(record: AttachmentRecord, deps: StageDeps): Promise<Port | undefined> {
  const name = portName(record.id);
  const ports = (await deps.cloud.listAllPorts({ name })).filter((p) => p.name === name);
  if (ports.length === 0) return undefined;
  // Prefer the one already attached to the server, else the oldest answer; delete unattached extras.
  const keep = ports.find((p) => p.device_id === record.server_id) ?? (ports[0] as Port);
  for (const extra of ports) {
    if (extra.id !== keep.id && extra.device_id === '') {
      deps.logger.warn({ attachment_id: record.id, port_id: extra.id }, 'deleting a duplicate port of this attachment');
      await deleteQuietly(extra.id, deps);
    }
  }
  return keep;
}

export async function runPortStage(record: AttachmentRecord, deps: StageDeps): Promise<StageOutcome> {
  if (record.port_id) return next('attach');
  // Only a run after one that may have posted needs the lookup: the marker is written before every POST.
  let port = record.port_create_requested_at ? await findOwnPort(record, deps) : undefined;
  if (!port) {
    let neutronSubnetId = record.neutron_subnet_id;
    if (record.request.port?.fixed_ip && !neutronSubnetId && record.subnet_id) {
      neutronSubnetId = (await deps.cloud.showSubnet(record.subnet_id)).neutron_subnet_id;
    }
    if (!(await deps.store.patch(record.id, { port_create_requested_at: new Date(deps.clock.now()).toISOString() }))) {
      return { kind: 'stopped', reason: 'attachment ended before its port was created' };
    }
    try {
      port = await deps.cloud.createPort(createPortOption(record, neutronSubnetId, deps.settings.defaultSecurityGroupIds));
    } catch (err) {
      // Refused by the cloud (an error answer: nothing was created): drop the marker, so the retry posts at once
      // instead of looking for a port that cannot exist. Safe even when an earlier run had set it: this run's
      // lookup above found no port of this attachment, so no earlier CreatePort was carried out either.
      if (!mayHaveActed(err)) await deps.store.patch(record.id, { port_create_requested_at: '' });
      if (cloudCodeOf(err) === 'VPC.0701') {
        return failed(
          terminal('FIXED_IP_IN_USE', `IP ${record.request.port?.fixed_ip ?? ''} is already in use in subnet ${record.subnet_id ?? ''}`, {
            cloud_code: 'VPC.0701',
            request_id: requestIdOf(err),
          }),
        );
      }
      throw err;
    }
  }
  const fields: Partial<AttachmentRecord> = {
    port_id: port.id,
    created_port: true,
    ...(port.fixed_ips[0]?.ip_address ? { ip_address: port.fixed_ips[0].ip_address } : {}),
    ...(port.mac_address ? { mac_address: port.mac_address } : {}),
  };
  // Recorded with the stage change, the one write after the answer; when that write finds the attachment
  // ended (cancelled while the port was being made), the queue layer calls dropUnrecordedPort below.
  return next('attach', fields);
}

/**
 * The port stage's result could not be recorded (the stage-change write found the attachment ended: it was
 * cancelled while its port was being made): nobody will attach the port, and a cleanup that already ran did
 * not know it — so it is deleted here (404 = gone). Called by the queue layer through undoUnrecorded().
 */
export async function dropUnrecordedPort(outcome: StageOutcome, deps: StageDeps): Promise<string | undefined> {
  const portId = outcome.kind === 'next' && outcome.fields?.created_port ? outcome.fields.port_id : undefined;
  if (!portId) return undefined;
  await deleteQuietly(portId, deps);
  return 'attachment ended while its port was being created; port deleted';
}
