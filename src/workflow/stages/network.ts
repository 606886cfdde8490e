/**
 * Stage `network`: reads the server (ShowServer and ListServerInterfaces, sent together), then resolves the
 * VPC the NIC will live in.
 *
 * Creates:      nothing. A request naming its VPC (`vpc: {name, cidr}`) is resolved against the server's own
 *               VPC: ShowVpc(the server's VPC) and compare names (VPC names are unique per project: VPC.0115).
 *               Same name → that VPC; another name, or a VPC of that name that does not exist yet →
 *               VPC_MISMATCH at once, before any cloud resource is made.
 *               Why not "find or create" (design.md §1's table says so): the same design imposes that an
 *               extension NIC be in the server's own VPC (§1, the cloud's rule, Ecs.0064/Ecs.0014). A VPC
 *               created now can never be the VPC of an existing server, so a create could only ever end in
 *               VPC_MISMATCH — after leaving an orphan VPC behind (cleanup.deleteNetworks is off by
 *               default). We chose the rule: the stage never creates a VPC it cannot use (the decision is
 *               docs/workflow.md). Records written before this change may still carry `created_vpc` /
 *               `vpc_create_requested_at`: they decode, and nothing acts on them any more.
 * Idempotency:  reads only.
 * Undone by:    — (nothing is created).
 * Terminal:     SERVER_NOT_FOUND (404); SERVER_STATE_INVALID (status not ACTIVE/SHUTOFF, or locked: what the
 *               cloud would refuse with Ecs.0100 / Ecs.0605); NIC_LIMIT_REACHED (free_nic 0); VPC_NOT_FOUND (a
 *               given id); VPC_MISMATCH (an extension NIC must be in the server's own VPC — decided here,
 *               before any port exists); VPC_CONFLICT (the server's VPC has the requested name but another
 *               CIDR); VPC_ERROR.
 * Waits:        while the VPC is CREATING.
 * When the request names no subnet, the server's primary-NIC subnet is recorded here for the subnet stage.
 */
import type { ServerDetail, ServerInterfaces, Vpc } from '../../cloud/types.js';
import type { StageDeps } from '../deps.js';
import { terminal } from '../errors.js';
import { failed, next, wait, type StageOutcome } from '../outcome.js';
import type { AttachmentRecord } from '../types.js';
import { cloudCodeOf, isNotFound, requestIdOf, sameCidr } from './common.js';

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

/** A VPC named in the request that is not the server's (whether it exists or not: no lookup, nothing created). */
function nameMismatch(name: string, server: ServerDetail, serverVpc: Vpc): StageOutcome {
  return failed(
    terminal(
      'VPC_MISMATCH',
      `VPC "${name}" is not the VPC of server ${server.id}, which is ${serverVpc.id} ("${serverVpc.name}"): an extension NIC must be in the server's own VPC, and a VPC is never created for it`,
      { vpc_name: name, server_vpc_id: serverVpc.id, server_vpc_name: serverVpc.name },
    ),
  );
}

type Resolved = { vpc: Vpc } | StageOutcome;

async function showVpcOrFail(vpcId: string, deps: StageDeps): Promise<Resolved> {
  try {
    return { vpc: await deps.cloud.showVpc(vpcId) };
  } catch (err) {
    if (isNotFound(err)) return failed(terminal('VPC_NOT_FOUND', `VPC ${vpcId} does not exist`, { cloud_code: cloudCodeOf(err), request_id: requestIdOf(err) }));
    throw err;
  }
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

  // A name is resolved against the server's own VPC (one ShowVpc): see the file header for why a VPC is
  // never looked up elsewhere nor created.
  const resolved = await showVpcOrFail('id' in spec ? spec.id : serverVpc, deps);
  if ('kind' in resolved) return resolved;
  const { vpc } = resolved;

  if ('name' in spec && vpc.name !== spec.name) return nameMismatch(spec.name, server, vpc);
  if (vpc.id !== serverVpc) return mismatch(vpc, server, serverVpc);
  if ('name' in spec && spec.cidr && vpc.cidr && !sameCidr(vpc.cidr, spec.cidr)) {
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
