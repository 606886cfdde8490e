/**
 * Stage `network`: reads the server (ShowServer and ListServerInterfaces, sent together), then resolves the
 * VPC the NIC will live in.
 *
 * Creates:      a VPC, only when the request names one (`vpc: {name, cidr}`) that does not exist yet
 *               (`created_vpc = true` and `vpc_id` are written at once, inside the lock).
 * Idempotency:  the VPC name within the project: find-before-create under the lock
 *               keys.createLock('vpc', name) (v1 ListVpcs has no name filter: all pages, filtered here);
 *               VPC.0115 (name taken) on create means someone else made it: found, not an error. A re-run
 *               after a create (waiting for CREATING, or a crash) uses the recorded vpc_id.
 * Undone by:    cleanup deletes a VPC this attachment created when config.workflow.cleanupDeleteNetworks is
 *               on and the VPC has no subnets left.
 * Terminal:     SERVER_NOT_FOUND (404); SERVER_STATE_INVALID (status not ACTIVE/SHUTOFF, or locked: what the
 *               cloud would refuse with Ecs.0100 / Ecs.0605); NIC_LIMIT_REACHED (free_nic 0); VPC_NOT_FOUND;
 *               VPC_MISMATCH (an extension NIC must be in the server's own VPC — decided here, before any
 *               port exists); VPC_CONFLICT (the named VPC exists with another CIDR); VPC_ERROR.
 * Waits:        while the VPC is CREATING; while another attachment holds the VPC name lock.
 * When the request names no subnet, the server's primary-NIC subnet is recorded here for the subnet stage.
 */
import type { ServerDetail, ServerInterfaces, Vpc } from '../../cloud/types.js';
import type { StageDeps } from '../deps.js';
import { terminal } from '../errors.js';
import { failed, next, wait, type StageOutcome } from '../outcome.js';
import type { AttachmentRecord } from '../types.js';
import { cloudCodeOf, mayHaveActed, isNotFound, jittered, requestIdOf, sameCidr } from './common.js';

export const ATTACH_ALLOWED_SERVER_STATES: readonly string[] = ['ACTIVE', 'SHUTOFF'];

export function serverVpcId(server: ServerDetail): string | undefined {
  return server.metadata.vpc_id ?? Object.keys(server.addresses)[0];
}

/** The VPC-subnet id (net_id) of the server's primary NIC. */
export function primaryNetId(server: ServerDetail, ifs: ServerInterfaces): string | undefined {
  const fromNetworkInterfaces = (server.network_interfaces as Array<{ primary?: boolean; subnet_id?: string }> | undefined)?.find((n) => n.primary)?.subnet_id;
  if (fromNetworkInterfaces) return fromNetworkInterfaces;
  const primaryPort = Object.values(server.addresses)
    .flat()
    .find((a) => a.primary === true)?.['OS-EXT-IPS:port_id'];
  const byPort = primaryPort ? ifs.interfaceAttachments.find((i) => i.port_id === primaryPort) : undefined;
  return (byPort ?? ifs.interfaceAttachments[0])?.net_id;
}

/**
 * ShowServer and ListServerInterfaces, sent together: two reads that do not depend on each other, so the
 * stage waits for one round trip instead of two (issue 7: the network stage is the first queue every
 * attachment passes, with the lowest default concurrency, so its wall time bounds the pipeline's rate).
 * ShowServer's answer still decides first (SERVER_NOT_FOUND, SERVER_STATE_INVALID); the interfaces answer
 * is only looked at after it. Both calls have ended when this returns, so each is counted in this run.
 */
async function readServer(record: AttachmentRecord, deps: StageDeps): Promise<{ server: ServerDetail; ifs: ServerInterfaces } | StageOutcome> {
  const [serverRead, ifsRead] = await Promise.allSettled([
    deps.cloud.showServer(record.server_id),
    Promise.resolve().then(() => deps.cloud.listServerInterfaces(record.server_id)),
  ]);
  if (serverRead.status === 'rejected') {
    const err: unknown = serverRead.reason;
    if (isNotFound(err)) {
      return failed(terminal('SERVER_NOT_FOUND', `server ${record.server_id} does not exist`, { cloud_code: cloudCodeOf(err), request_id: requestIdOf(err) }));
    }
    throw err;
  }
  const server = serverRead.value;
  if (server.locked || !ATTACH_ALLOWED_SERVER_STATES.includes(server.status)) {
    const why = server.locked ? 'it is locked' : `its status is ${server.status}`;
    return failed(
      terminal('SERVER_STATE_INVALID', `server ${server.id} cannot take a NIC now: ${why} (allowed: ${ATTACH_ALLOWED_SERVER_STATES.join(', ')}, not locked)`, {
        status: server.status,
        locked: server.locked,
      }),
    );
  }
  if (ifsRead.status === 'rejected') throw ifsRead.reason;
  const ifs = ifsRead.value;
  if (ifs.attachableQuantity.free_nic <= 0) {
    return failed(
      terminal('NIC_LIMIT_REACHED', `server ${server.id} has no free NIC slot (${ifs.interfaceAttachments.length} NICs attached)`, {
        nics: ifs.interfaceAttachments.length,
      }),
    );
  }
  return { server, ifs };
}

function mismatch(vpc: Pick<Vpc, 'id' | 'name'>, server: ServerDetail, serverVpc: string): StageOutcome {
  return failed(
    terminal(
      'VPC_MISMATCH',
      `VPC ${vpc.id}${vpc.name ? ` (${vpc.name})` : ''} is not the VPC of server ${server.id}, which is ${serverVpc}: an extension NIC must be in the server's own VPC`,
      { vpc_id: vpc.id, server_vpc_id: serverVpc },
    ),
  );
}

type Resolved = { vpc: Vpc; created: boolean } | StageOutcome;

async function showVpcOrFail(vpcId: string, deps: StageDeps): Promise<Resolved> {
  try {
    return { vpc: await deps.cloud.showVpc(vpcId), created: false };
  } catch (err) {
    if (isNotFound(err)) return failed(terminal('VPC_NOT_FOUND', `VPC ${vpcId} does not exist`, { cloud_code: cloudCodeOf(err), request_id: requestIdOf(err) }));
    throw err;
  }
}

async function findVpcByName(name: string, deps: StageDeps): Promise<Vpc | undefined> {
  return (await deps.cloud.listAllVpcs()).find((v) => v.name === name);
}

/** Find-or-create by name, under the per-name lock. */
async function findOrCreateVpc(record: AttachmentRecord, spec: { name: string; cidr: string; description?: string }, deps: StageDeps): Promise<Resolved> {
  const lock = await deps.locks.withLock(deps.keys.createLock('vpc', spec.name), deps.settings.lockTtlMs, async (): Promise<Resolved> => {
    const found = await findVpcByName(spec.name, deps);
    if (found) {
      // With the marker, an earlier run of this attachment posted CreateVpc under this same lock and lost the
      // answer: the VPC found is the one it created.
      const ours = Boolean(record.vpc_create_requested_at);
      await deps.store.patch(record.id, { vpc_id: found.id, ...(ours ? { created_vpc: true } : {}) });
      return { vpc: found, created: ours };
    }
    if (!(await deps.store.patch(record.id, { vpc_create_requested_at: new Date(deps.clock.now()).toISOString() }))) {
      return { kind: 'stopped', reason: 'attachment ended before its VPC was created' };
    }
    let vpc: Vpc;
    try {
      vpc = await deps.cloud.createVpc({ name: spec.name, cidr: spec.cidr, ...(spec.description ? { description: spec.description } : {}) });
    } catch (err) {
      // Refused by the cloud (nothing created): drop the marker, or a later run would claim a VPC that another
      // attachment creates after this lock is released.
      if (!mayHaveActed(err)) await deps.store.patch(record.id, { vpc_create_requested_at: '' });
      // VPC.0115: the name is taken — created outside this service's lock; use it.
      const taken = cloudCodeOf(err) === 'VPC.0115' ? await findVpcByName(spec.name, deps) : undefined;
      if (!taken) throw err;
      await deps.store.patch(record.id, { vpc_id: taken.id });
      return { vpc: taken, created: false };
    }
    await deps.store.patch(record.id, { vpc_id: vpc.id, created_vpc: true });
    return { vpc, created: true };
  });
  if (!lock.acquired) return wait(jittered(deps.settings.waitDelayMs, deps.random), `VPC name lock "${spec.name}" held by another attachment`);
  return lock.value;
}

export async function runNetworkStage(record: AttachmentRecord, deps: StageDeps): Promise<StageOutcome> {
  const read = await readServer(record, deps);
  if ('kind' in read) return read;
  const { server, ifs } = read;
  const serverVpc = serverVpcId(server);
  if (!serverVpc) throw new Error(`server ${server.id} reports no VPC (metadata.vpc_id and addresses are empty)`);

  const fields: Partial<AttachmentRecord> = { server_vpc_id: serverVpc };
  if (record.request.subnet === undefined) {
    const net = primaryNetId(server, ifs);
    if (!net) throw new Error(`server ${server.id} has no NIC to take the subnet from`);
    fields.subnet_id = net;
  }

  const spec = record.request.vpc;
  if (spec === undefined) return next('subnet', { ...fields, vpc_id: serverVpc });

  let resolved: Resolved;
  if ('id' in spec) resolved = await showVpcOrFail(spec.id, deps);
  else if (record.vpc_id) resolved = await showVpcOrFail(record.vpc_id, deps);
  else resolved = await findOrCreateVpc(record, spec, deps);
  if ('kind' in resolved) return resolved;
  const { vpc, created } = resolved;

  if (vpc.id !== serverVpc) return mismatch(vpc, server, serverVpc);
  if ('name' in spec && !created && !record.created_vpc && spec.cidr && vpc.cidr && !sameCidr(vpc.cidr, spec.cidr)) {
    return failed(
      terminal('VPC_CONFLICT', `VPC "${spec.name}" exists (${vpc.id}) with CIDR ${vpc.cidr}, not the requested ${spec.cidr}`, {
        vpc_id: vpc.id,
        cidr: vpc.cidr,
        requested_cidr: spec.cidr,
      }),
    );
  }
  if (vpc.status === 'ERROR') return failed(terminal('VPC_ERROR', `VPC ${vpc.id} is in status ERROR`, { vpc_id: vpc.id }));
  fields.vpc_id = vpc.id;
  if (vpc.status !== 'OK') return wait(deps.settings.waitDelayMs, `VPC ${vpc.id} is ${vpc.status}`, fields);
  return next('subnet', fields);
}
