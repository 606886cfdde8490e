/**
 * Stage `subnet`: resolves the subnet of the NIC inside the VPC the network stage chose.
 *
 * Creates:      a subnet, only when the request names one (`subnet: {name, cidr, ...}`) that does not exist
 *               in the VPC (`created_subnet = true`, `subnet_id` written at once, inside the lock), with every
 *               CreateSubnet option of the request (gateway_ip defaults to the first host of the CIDR).
 * Idempotency:  (VPC id, name, CIDR): find-before-create under the lock
 *               keys.createLock('subnet', `${vpcId}.${name}.${cidr}`), ListSubnets?vpc_id= (all pages),
 *               filtered by name and CIDR here. A CreateSubnet whose answer was lost (outcomeUnknown) is
 *               retried by BullMQ and then FOUND by the lookup, not created twice; the marker
 *               `subnet_create_requested_at`, written before the POST, tells that run the subnet is its own.
 *               The lock is renewed every lockTtlMs / 3 while the lookup runs and confirmed right before the
 *               POST (lost → nothing posted, the stage waits and looks again).
 * Users:        the attachment joins the subnet's users (../subnet-users.ts) when it records the subnet id —
 *               inside the lock for a named subnet — and leaves when it ends.
 * Undone by:    cleanup deletes a subnet this attachment created when cleanupDeleteNetworks is on, no port is
 *               left in it and no other live attachment uses it.
 * Terminal:     SUBNET_NOT_FOUND (a given id or the recorded one is gone); SUBNET_NOT_IN_VPC (a given id in
 *               another VPC); SUBNET_CONFLICT (VPC.0204: the CIDR overlaps another subnet of the VPC);
 *               SUBNET_ERROR (status ERROR); other 4xx from CreateSubnet (invalid CIDR/options) fail with
 *               the cloud's code.
 * Waits:        while the subnet is UNKNOWN (not yet attached to the router); while the lock is held.
 * No subnet in the request: the server's primary-NIC subnet, recorded by the network stage.
 * Reads by id (ShowSubnet) go through deps.subnetReads when given: an ACTIVE answer is reused by this
 * process's subnet stages for a few seconds, and a read in flight is joined (./subnet-reads.ts says why).
 * Find-or-create always reads afresh (ListSubnets, under the lock).
 */
import { firstHost, formatIpv4, parseCidr } from '../../lib/net.js';
import type { CreateSubnetOption, Subnet } from '../../cloud/types.js';
import type { StageDeps } from '../deps.js';
import { terminal } from '../errors.js';
import { failed, next, wait, type StageOutcome } from '../outcome.js';
import type { AttachmentRecord, SubnetSpec } from '../types.js';
import { cloudCodeOf, mayHaveActed, isNotFound, jittered, requestIdOf, sameCidr } from './common.js';

type NamedSubnetSpec = Exclude<SubnetSpec, { id: string }>;
type Resolved = { subnet: Subnet } | StageOutcome;

async function showSubnetOrFail(subnetId: string, deps: StageDeps): Promise<Resolved> {
  try {
    const read = (): Promise<Subnet> => deps.cloud.showSubnet(subnetId);
    return { subnet: await (deps.subnetReads ? deps.subnetReads.get(subnetId, read) : read()) };
  } catch (err) {
    if (isNotFound(err)) return failed(terminal('SUBNET_NOT_FOUND', `subnet ${subnetId} does not exist`, { cloud_code: cloudCodeOf(err), request_id: requestIdOf(err) }));
    throw err;
  }
}

/** The CreateSubnet body for a named subnet spec: every option the request carries. */
export function createSubnetOption(spec: NamedSubnetSpec, vpcId: string): CreateSubnetOption {
  const cidr = parseCidr(spec.cidr);
  const gateway = spec.gateway_ip ?? (cidr ? formatIpv4(firstHost(cidr)) : '');
  return {
    name: spec.name,
    cidr: spec.cidr,
    gateway_ip: gateway,
    vpc_id: vpcId,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...(spec.dhcp_enable !== undefined ? { dhcp_enable: spec.dhcp_enable } : {}),
    ...(spec.ipv6_enable !== undefined ? { ipv6_enable: spec.ipv6_enable } : {}),
    ...(spec.primary_dns !== undefined ? { primary_dns: spec.primary_dns } : {}),
    ...(spec.secondary_dns !== undefined ? { secondary_dns: spec.secondary_dns } : {}),
    ...(spec.dns_list !== undefined ? { dnsList: spec.dns_list } : {}),
    ...(spec.availability_zone !== undefined ? { availability_zone: spec.availability_zone } : {}),
    ...(spec.extra_dhcp_opts !== undefined ? { extra_dhcp_opts: spec.extra_dhcp_opts } : {}),
  };
}

export function subnetLockKey(vpcId: string, spec: { name: string; cidr: string }): string {
  return `${vpcId}.${spec.name}.${spec.cidr}`;
}

async function findSubnet(vpcId: string, spec: NamedSubnetSpec, deps: StageDeps): Promise<Subnet | undefined> {
  const all = await deps.cloud.listAllSubnets({ vpc_id: vpcId });
  return all.find((s) => s.vpc_id === vpcId && s.name === spec.name && sameCidr(s.cidr, spec.cidr));
}

async function findOrCreateSubnet(record: AttachmentRecord, vpcId: string, spec: NamedSubnetSpec, deps: StageDeps): Promise<Resolved> {
  const lock = await deps.locks.withLock(deps.keys.createLock('subnet', subnetLockKey(vpcId, spec)), deps.settings.lockTtlMs, async (held): Promise<Resolved> => {
    const found = await findSubnet(vpcId, spec, deps);
    if (found) {
      // With the marker, an earlier run of this attachment posted CreateSubnet under this same lock and never
      // learnt the outcome (a lost answer, a 5xx): the subnet found is the one it created — unless another
      // attachment created it after that run released the lock (the post had not acted), which then recorded
      // itself as the creator on its success answer (claimCreated).
      const ours = Boolean(record.subnet_create_requested_at) && (await deps.subnetUsers.claimCreated(found.id, record.id, { certain: false }));
      // Registered inside the lock, so a cleanup deleting the subnet (it takes this lock) sees this attachment.
      await deps.subnetUsers.add(found.id, record.id);
      await deps.store.patch(record.id, { subnet_id: found.id, neutron_subnet_id: found.neutron_subnet_id, ...(ours ? { created_subnet: true } : {}) });
      return { subnet: found };
    }
    if (!(await deps.store.patch(record.id, { subnet_create_requested_at: new Date(deps.clock.now()).toISOString() }))) {
      return { kind: 'stopped', reason: 'attachment ended before its subnet was created' };
    }
    // The lookup can outlast the lock's TTL (a slow ListSubnets, its GET retries); the lock is renewed while
    // this runs, and checked once more right before the POST: when it was lost anyway (renewals failed), another
    // attachment may be creating the same subnet now, so post nothing and come back (the re-run finds it).
    if (!(await held.confirm())) {
      await deps.store.patch(record.id, { subnet_create_requested_at: '' });
      return wait(jittered(deps.settings.waitDelayMs, deps.random), `subnet lock "${spec.name}" was lost before CreateSubnet; nothing posted`);
    }
    let subnet: Subnet;
    try {
      subnet = await deps.cloud.createSubnet(createSubnetOption(spec, vpcId));
    } catch (err) {
      // Refused by the cloud (nothing created): drop the marker, so a later run does not even ask to be the
      // creator of a subnet another attachment makes after this lock is released.
      if (!mayHaveActed(err)) await deps.store.patch(record.id, { subnet_create_requested_at: '' });
      if (cloudCodeOf(err) === 'VPC.0204') {
        return failed(
          terminal('SUBNET_CONFLICT', `subnet CIDR ${spec.cidr} overlaps another subnet of VPC ${vpcId} (and no subnet named "${spec.name}" with that CIDR exists)`, {
            cloud_code: 'VPC.0204',
            request_id: requestIdOf(err),
          }),
        );
      }
      throw err;
    }
    await Promise.all([deps.subnetUsers.add(subnet.id, record.id), deps.subnetUsers.claimCreated(subnet.id, record.id, { certain: true })]);
    await deps.store.patch(record.id, { subnet_id: subnet.id, neutron_subnet_id: subnet.neutron_subnet_id, created_subnet: true });
    return { subnet };
  });
  if (!lock.acquired) return wait(jittered(deps.settings.waitDelayMs, deps.random), `subnet lock "${spec.name}" held by another attachment`);
  return lock.value;
}

/**
 * A subnet read by id (given, recorded by the network stage, or by an earlier run): this attachment joins
 * the subnet's users at the same time (./subnet-users.ts; sent alongside the read, no extra round trip).
 */
async function readKnownSubnet(record: AttachmentRecord, subnetId: string, deps: StageDeps): Promise<Resolved> {
  const [resolved] = await Promise.all([showSubnetOrFail(subnetId, deps), deps.subnetUsers.add(subnetId, record.id)]);
  return resolved;
}

export async function runSubnetStage(record: AttachmentRecord, deps: StageDeps): Promise<StageOutcome> {
  const vpcId = record.vpc_id;
  if (!vpcId) throw new Error(`attachment ${record.id} reached the subnet stage without a vpc_id`);
  const spec = record.request.subnet;

  let resolved: Resolved;
  if (spec === undefined) {
    if (!record.subnet_id) throw new Error(`attachment ${record.id} names no subnet and the network stage recorded none`);
    resolved = await readKnownSubnet(record, record.subnet_id, deps);
  } else if ('id' in spec) {
    resolved = await readKnownSubnet(record, spec.id, deps);
  } else if (record.subnet_id) {
    resolved = await readKnownSubnet(record, record.subnet_id, deps);
  } else {
    resolved = await findOrCreateSubnet(record, vpcId, spec, deps);
  }
  if ('kind' in resolved) return resolved;
  const { subnet } = resolved;

  if (subnet.vpc_id !== vpcId) {
    return failed(
      terminal('SUBNET_NOT_IN_VPC', `subnet ${subnet.id} belongs to VPC ${subnet.vpc_id}, not to VPC ${vpcId} of this attachment`, {
        subnet_id: subnet.id,
        subnet_vpc_id: subnet.vpc_id,
        vpc_id: vpcId,
      }),
    );
  }
  if (subnet.status === 'ERROR') return failed(terminal('SUBNET_ERROR', `subnet ${subnet.id} is in status ERROR`, { subnet_id: subnet.id }));
  const fields = { subnet_id: subnet.id, neutron_subnet_id: subnet.neutron_subnet_id };
  if (subnet.status !== 'ACTIVE') return wait(deps.settings.waitDelayMs, `subnet ${subnet.id} is ${subnet.status}`, fields);
  return next('port', fields);
}
