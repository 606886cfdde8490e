/**
 * ECS servers: ShowServer, ListServerInterfaces, ShowServerAttachableNicNum (huawei-cloud-api.md §4.4–4.6).
 * Servers exist only through the control API (POST /_emulator/servers); each has a primary NIC, a port with
 * device_id = the server, in a subnet of its VPC.
 *
 * LIMITATIONS
 * - No server lifecycle operations (create/delete/start/stop via the ECS API); the control API sets the status
 *   and the lock flag. Flavor, image, volumes and host fields are fixed plausible values.
 * - NIC capacity: each server's max_nics (primary included; per-flavor values UNVERIFIED): the one given at
 *   creation, else the current limits.max_nics (default 12), so changing that limit applies to such servers at
 *   once. free_nic = max_nics − attached NICs. free_efi_nic/scsi/blk/disk are fixed numbers.
 * - Unknown server → 404 Ecs.0114 on every ECS server path (the real ListServerInterfaces has been seen to
 *   answer 400 Ecs.0307 for a deleted server; not modelled).
 * - delete_on_termination: true for NICs ECS created (primary, subnet_id attach), false for port_id attaches.
 * - A server in status ERROR carries `fault` {code 500, message, created, details} (huawei-cloud-api.md §4.4:
 *   "only when status ERROR"; the content is the emulator's). cpu_options, hypervisor, security_options and
 *   auto_terminate_time, and network_interfaces[].association (no EIPs: public_ip_address ""), are fixed values
 *   in the SDK models' shapes.
 */
import type { InterfaceAttachment, ServerAddress, ServerDetail } from '../../cloud/types.js';
import { ecsError } from '../errors.js';
import { formatIpv4 } from '../../lib/net.js';
import { launchedTime, serverTime } from '../lifecycle.js';
import type { PortModel, ServerModel } from '../models.js';
import type { RouteDef } from '../route-types.js';
import type { EmulatorContext } from '../store.js';
import { portStatus } from './port-model.js';

export function findServer(ctx: EmulatorContext, id: string): ServerModel {
  const s = ctx.store.servers.get(id);
  if (!s) throw ecsError(404, 'Ecs.0114', `The ECS ${id} does not exist.`);
  return s;
}

/** The server's NIC limit, primary included: its own, else the current limits.max_nics. */
export function maxNicsOf(ctx: EmulatorContext, s: ServerModel): number {
  return s.maxNics ?? ctx.settings.limits.max_nics;
}

/** The server's NICs, primary first, then in attach order. */
export function attachedPorts(ctx: EmulatorContext, server: ServerModel): PortModel[] {
  const out: PortModel[] = [];
  for (const p of ctx.store.ports.values()) if (p.f.deviceId === server.id) out.push(p);
  return out.sort((a, b) => Number(b.f.primary) - Number(a.f.primary));
}

const VM_STATE: Record<string, string> = {
  ACTIVE: 'active',
  SHUTOFF: 'stopped',
  BUILD: 'building',
  ERROR: 'error',
  DELETED: 'deleted',
  RESIZE: 'resized',
  VERIFY_RESIZE: 'resized',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
  SOFT_DELETED: 'soft-delete',
};

const POWER_STATE: Record<string, number> = { ACTIVE: 1, SHUTOFF: 4, PAUSED: 3, SUSPENDED: 4, BUILD: 0, ERROR: 0 };

export function serverView(ctx: EmulatorContext, s: ServerModel): ServerDetail {
  const ports = attachedPorts(ctx, s);
  const addresses: Record<string, ServerAddress[]> = {};
  addresses[s.vpcId] = ports.map((p) => ({
    version: '4',
    addr: formatIpv4(p.f.ip),
    'OS-EXT-IPS:type': 'fixed',
    'OS-EXT-IPS-MAC:mac_addr': p.f.mac,
    'OS-EXT-IPS:port_id': p.f.id,
    primary: p.f.primary,
  }));
  const instance = `instance-${s.id.replace(/-/g, '').slice(0, 8)}`;
  return {
    id: s.id,
    name: s.name,
    tenant_id: ctx.projectId,
    user_id: ctx.userId,
    status: s.status,
    'OS-EXT-STS:vm_state': VM_STATE[s.status] ?? s.status.toLowerCase(),
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:power_state': POWER_STATE[s.status] ?? 0,
    'OS-EXT-AZ:availability_zone': s.az,
    addresses,
    metadata: { vpc_id: s.vpcId, charging_mode: '0', os_type: 'Linux', os_bit: '64', image_name: 'Ubuntu 22.04 server 64bit' },
    flavor: { id: 's6.large.2', name: 's6.large.2', disk: '0', vcpus: '2', ram: '4096', gpus: [], asic_accelerators: [] },
    security_groups: [{ id: ctx.defaultSecurityGroupId, name: 'default' }],
    locked: s.locked,
    host_status: 'UP',
    created: serverTime(s.createdAt),
    updated: serverTime(s.updatedAt),
    hostId: `${s.id.replace(/-/g, '')}host`.slice(0, 56),
    image: { id: '00000000-0000-4000-8000-0000000000aa' },
    key_name: '',
    description: '',
    progress: 0,
    config_drive: '',
    accessIPv4: '',
    accessIPv6: '',
    enterprise_project_id: '0',
    tags: [],
    sys_tags: [{ key: '_sys_enterprise_project_id', value: '0' }],
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-SRV-ATTR:host': 'emulator-host',
    'OS-EXT-SRV-ATTR:hypervisor_hostname': 'emulator-hypervisor',
    'OS-EXT-SRV-ATTR:instance_name': instance,
    'OS-SRV-USG:launched_at': launchedTime(s.createdAt),
    'OS-SRV-USG:terminated_at': '',
    'os-extended-volumes:volumes_attached': [],
    auto_terminate_time: '',
    cpu_options: { 'hw:cpu_threads': 2 },
    hypervisor: { hypervisor_type: 'kvm', csd_hypervisor: '' },
    security_options: { secure_boot_enabled: false, tpm_enabled: false },
    network_interfaces: ports.map((p) => ({
      port_id: p.f.id,
      primary: p.f.primary,
      ip_addresses: [formatIpv4(p.f.ip)],
      ipv6_addresses: [],
      subnet_id: p.f.networkId,
      association: { public_ip_address: '' },
    })),
    ...(s.status === 'ERROR'
      ? {
          fault: {
            code: 500,
            message: 'The ECS is in ERROR state.',
            created: serverTime(s.updatedAt),
            details: 'Set to ERROR through the emulator control API.',
          },
        }
      : {}),
  };
}

function interfaceView(ctx: EmulatorContext, p: PortModel, index: number): InterfaceAttachment {
  return {
    port_state: portStatus(ctx, p),
    fixed_ips: [{ ip_address: formatIpv4(p.f.ip), subnet_id: p.f.neutronSubnetId }],
    net_id: p.f.networkId,
    port_id: p.f.id,
    mac_addr: p.f.mac,
    delete_on_termination: p.f.ecsCreated,
    driver_mode: 'virtio',
    min_rate: null,
    multiqueue_num: null,
    pci_address: `0000:00:${(3 + index).toString(16).padStart(2, '0')}.0`,
  };
}

export function freeNics(ctx: EmulatorContext, s: ServerModel): number {
  return Math.max(0, maxNicsOf(ctx, s) - attachedPorts(ctx, s).length);
}

/** A server's NICs and its free NIC slots (both interface listings answer with them). */
function nicSlots(ctx: EmulatorContext, serverId: string): { ports: PortModel[]; freeNic: number } {
  const s = findServer(ctx, serverId);
  const ports = attachedPorts(ctx, s);
  return { ports, freeNic: Math.max(0, maxNicsOf(ctx, s) - ports.length) };
}

export const serverRoutes: RouteDef[] = [
  {
    op: 'ShowServer',
    method: 'GET',
    path: 'cloudservers/{server_id}',
    service: 'ecs',
    status: 200,
    handler: (ctx, req) => ({ server: serverView(ctx, findServer(ctx, req.params.server_id ?? '')) }),
  },
  {
    op: 'ListServerInterfaces',
    method: 'GET',
    path: 'cloudservers/{server_id}/os-interface',
    service: 'ecs',
    status: 200,
    handler: (ctx, req) => {
      const { ports, freeNic } = nicSlots(ctx, req.params.server_id ?? '');
      return {
        attachableQuantity: { free_nic: freeNic },
        interfaceAttachments: ports.map((p, i) => interfaceView(ctx, p, i)),
      };
    },
  },
  {
    op: 'ShowServerAttachableNicNum',
    method: 'GET',
    path: 'cloudservers/{server_id}/os-interface_extension',
    service: 'ecs',
    status: 200,
    handler: (ctx, req) => {
      const { ports, freeNic } = nicSlots(ctx, req.params.server_id ?? '');
      return {
        attachableQuantity: { free_efi_nic: 0, free_scsi: 59, free_blk: 23, free_disk: 23, free_nic: freeNic },
        interfaceAttachments: ports.map((p, i) => ({ ...interfaceView(ctx, p, i), preserve_on_delete: !p.f.ecsCreated })),
      };
    },
  },
];
