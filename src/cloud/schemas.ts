/**
 * Response validation at the boundary (TypeBox, compiled once). A 2xx body that fails its schema becomes a
 * CloudError of kind 'malformed' in the transport, so nothing above src/cloud meets a half-shaped object.
 *
 * Policy: the fields this service reads (ids, names, cidrs, statuses, fixed IPs, job entities, server
 * addresses) are required and typed. Descriptive fields that the API definitions list but the real cloud
 * has been seen to omit carry a `default` that is filled in before the check, so the returned value always
 * satisfies its wire type in ./types.ts (the `satisfies` lines below keep schemas and types in step).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type {
  InterfaceAttachment,
  Job,
  JobAccepted,
  Port,
  ServerAttachableNicNum,
  ServerDetail,
  ServerInterfaces,
  Subnet,
  ListVpcsV3Page,
  Vpc,
  VpcV3,
} from './types.js';

const S = Type.String();
const Str = (def = ''): ReturnType<typeof Type.String> => Type.String({ default: def });
const Bool = (def: boolean): ReturnType<typeof Type.Boolean> => Type.Boolean({ default: def });
const NullableStr = Type.Union([Type.String(), Type.Null()], { default: null });
const NullableInt = Type.Union([Type.Integer(), Type.Null()], { default: null });
const Lit = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Obj = Type.Record(Type.String(), Type.Unknown(), { default: {} });

export const VpcSchema = Type.Object({
  id: S,
  name: S,
  description: Str(),
  cidr: S,
  status: Lit('CREATING', 'OK', 'ERROR'),
  routes: Type.Array(Type.Object({ destination: S, nexthop: S }), { default: [] }),
  enterprise_project_id: Str('0'),
  tenant_id: Str(),
  created_at: Str(),
  updated_at: Str(),
  block_service_endpoint_states: Type.Optional(S),
  enable_network_address_usage_metrics: Type.Optional(Type.Boolean()),
});

/** ListVpcs v3 (§3.3, §8 row 3b): its own field set and status vocabulary (PENDING/ACTIVE). */
export const VpcV3Schema = Type.Object({
  id: S,
  name: S,
  description: Str(),
  cidr: S,
  extend_cidrs: Type.Array(S, { default: [] }),
  status: Lit('PENDING', 'ACTIVE'),
  project_id: Str(),
  enterprise_project_id: Str('0'),
  created_at: Str(),
  updated_at: Str(),
  cloud_resources: Type.Array(Type.Object({ resource_type: S, resource_count: Type.Integer() }), { default: [] }),
  tags: Type.Array(Type.Object({ key: S, value: Str() }), { default: [] }),
});

/** One page of ListVpcs v3. page_info is required: without it the pages cannot be followed. */
export const ListVpcsV3PageSchema = Type.Object({
  request_id: Str(),
  vpcs: Type.Array(VpcV3Schema),
  page_info: Type.Object({
    previous_marker: Type.Optional(S),
    current_count: Type.Integer({ minimum: 0 }),
    next_marker: Type.Optional(Type.String({ minLength: 1 })),
  }),
});

const ExtraDhcpOpts = Type.Array(Type.Object({ opt_name: S, opt_value: Type.Optional(S) }), { default: [] });

export const SubnetSchema = Type.Object({
  id: S,
  name: S,
  description: Str(),
  cidr: S,
  gateway_ip: S,
  ipv6_enable: Bool(false),
  cidr_v6: Type.Optional(S),
  gateway_ip_v6: Type.Optional(S),
  neutron_subnet_id_v6: Type.Optional(S),
  dhcp_enable: Bool(true),
  primary_dns: Str(),
  secondary_dns: Str(),
  dnsList: Type.Array(S, { default: [] }),
  availability_zone: Str(),
  vpc_id: S,
  status: Lit('ACTIVE', 'UNKNOWN', 'ERROR'),
  neutron_network_id: S,
  neutron_subnet_id: S,
  extra_dhcp_opts: ExtraDhcpOpts,
  scope: Type.Optional(S),
  tenant_id: Str(),
  created_at: Str(),
  updated_at: Str(),
  enable_network_address_usage_metrics: Type.Optional(Type.Boolean()),
  available_ip_address_count: Type.Optional(Type.Integer()),
});

const FixedIps = Type.Array(Type.Object({ ip_address: S, subnet_id: S }));

export const PortSchema = Type.Object({
  id: S,
  name: Str(),
  network_id: S,
  tenant_id: Str(),
  admin_state_up: Bool(true),
  mac_address: S,
  fixed_ips: FixedIps,
  device_id: Str(),
  device_owner: Str(),
  status: Lit('ACTIVE', 'BUILD', 'DOWN'),
  security_groups: Type.Array(S, { default: [] }),
  allowed_address_pairs: Type.Array(Type.Object({ ip_address: S, mac_address: Type.Optional(S) }), { default: [] }),
  extra_dhcp_opts: Type.Array(Type.Object({ opt_name: Type.Optional(S), opt_value: Type.Optional(S) }), { default: [] }),
  'binding:vnic_type': Str('normal'),
  'binding:vif_details': Obj,
  'binding:profile': Obj,
  dns_assignment: Type.Array(Type.Object({ hostname: S, ip_address: S, fqdn: S }), { default: [] }),
  dns_name: Str(),
  instance_id: Str(),
  instance_type: Str(),
  port_security_enabled: Bool(true),
  zone_id: Str(),
  enable_efi: Type.Optional(Type.Boolean()),
  ipv6_bandwidth_id: Type.Optional(S),
});

const JobStatus = Lit('SUCCESS', 'RUNNING', 'FAIL', 'INIT', 'PENDING_PAYMENT');

/** The fields after `entities` that a job and its sub-jobs share (types.ts JobFields). */
const jobTail = {
  job_id: S,
  job_type: Str(),
  begin_time: NullableStr,
  end_time: NullableStr,
  error_code: NullableStr,
  fail_reason: NullableStr,
};

export const SubJobSchema = Type.Object({
  status: JobStatus,
  entities: Type.Object(
    { server_id: Type.Optional(S), nic_id: Type.Optional(S), errorcode_message: Type.Optional(S) },
    { default: {} },
  ),
  ...jobTail,
});

export const JobSchema = Type.Object({
  status: JobStatus,
  entities: Type.Object(
    {
      server_id: Type.Optional(S),
      nic_id: Type.Optional(S),
      sub_jobs_total: Type.Optional(Type.Integer()),
      sub_jobs: Type.Optional(Type.Array(SubJobSchema)),
    },
    { default: {} },
  ),
  ...jobTail,
});

export const JobAcceptedSchema = Type.Object({ job_id: Type.String({ minLength: 1 }) });

const ServerAddressSchema = Type.Object({
  version: Lit('4', '6'),
  addr: S,
  'OS-EXT-IPS:type': Lit('fixed', 'floating'),
  'OS-EXT-IPS-MAC:mac_addr': S,
  'OS-EXT-IPS:port_id': S,
  primary: Type.Optional(Type.Boolean()),
});

export const ServerDetailSchema = Type.Object({
  id: S,
  name: S,
  tenant_id: Str(),
  user_id: Str(),
  status: S,
  'OS-EXT-STS:vm_state': Str(),
  'OS-EXT-STS:task_state': NullableStr,
  'OS-EXT-STS:power_state': Type.Integer({ default: 0 }),
  'OS-EXT-AZ:availability_zone': Str(),
  addresses: Type.Record(Type.String(), Type.Array(ServerAddressSchema)),
  metadata: Type.Record(Type.String(), Type.String()),
  flavor: Type.Object(
    {
      id: S,
      name: Str(),
      disk: Str(),
      vcpus: Str(),
      ram: Str(),
      gpus: Type.Optional(Type.Array(Type.Unknown())),
      asic_accelerators: Type.Optional(Type.Array(Type.Unknown())),
    },
    { default: { id: '' } },
  ),
  security_groups: Type.Array(Type.Object({ id: Type.Optional(S), name: S }), { default: [] }),
  locked: Bool(false),
  host_status: Str(),
  created: Str(),
  updated: Str(),
  fault: Type.Optional(Type.Object({ code: Type.Integer(), message: S, created: Str(), details: Str() })),
});

export const InterfaceAttachmentSchema = Type.Object({
  port_state: S,
  fixed_ips: FixedIps,
  net_id: S,
  port_id: S,
  mac_addr: S,
  delete_on_termination: Bool(true),
  driver_mode: NullableStr,
  min_rate: NullableInt,
  multiqueue_num: NullableInt,
  pci_address: Str(),
});

export const ServerInterfacesSchema = Type.Object({
  attachableQuantity: Type.Object({ free_nic: Type.Integer() }),
  interfaceAttachments: Type.Array(InterfaceAttachmentSchema),
});

export const ServerAttachableNicNumSchema = Type.Object({
  attachableQuantity: Type.Object({
    free_efi_nic: Type.Optional(Type.Integer()),
    free_scsi: Type.Optional(Type.Integer()),
    free_blk: Type.Optional(Type.Integer()),
    free_disk: Type.Optional(Type.Integer()),
    free_nic: Type.Integer(),
  }),
  interfaceAttachments: Type.Array(Type.Composite([InterfaceAttachmentSchema, Type.Object({ preserve_on_delete: Type.Optional(Type.Boolean()) })])),
});

// Compile-time drift guards: a validated value must be assignable to its wire type.
type Assignable<A, B> = A extends B ? true : never;
const drift: [
  Assignable<Static<typeof VpcSchema>, Vpc>,
  Assignable<Static<typeof VpcV3Schema>, VpcV3>,
  Assignable<Static<typeof ListVpcsV3PageSchema>, ListVpcsV3Page>,
  Assignable<Static<typeof SubnetSchema>, Subnet>,
  Assignable<Static<typeof PortSchema>, Port>,
  Assignable<Static<typeof JobSchema>, Job>,
  Assignable<Static<typeof JobAcceptedSchema>, JobAccepted>,
  Assignable<Static<typeof ServerDetailSchema>, ServerDetail>,
  Assignable<Static<typeof InterfaceAttachmentSchema>, InterfaceAttachment>,
  Assignable<Static<typeof ServerInterfacesSchema>, ServerInterfaces>,
  Assignable<Static<typeof ServerAttachableNicNumSchema>, ServerAttachableNicNum>,
] = [true, true, true, true, true, true, true, true, true, true, true];
void drift;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; problem: string };
export type Decoder<T> = (json: unknown) => DecodeResult<T>;

/**
 * A decoder for one response: fills the defaults, checks the schema and, with `rootKey`, unwraps
 * `{rootKey: value}`. `problem` names the first offending path, e.g. "/vpc/status: Expected union value".
 *
 * The compiled check runs first and the defaults are filled only when it fails: every defaulted field is a
 * required one, so an answer that passes already carries them all and Value.Default (which walks the value
 * against the schema, uncompiled) would change nothing — the common case skips that walk (issue 7).
 */
export function decoder<T>(schema: TSchema, rootKey?: string): Decoder<T> {
  const full = rootKey === undefined ? schema : Type.Object({ [rootKey]: schema });
  const checker = TypeCompiler.Compile(full);
  return (json: unknown) => {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return { ok: false, problem: 'the body is not a JSON object' };
    }
    const unwrap = (value: unknown): DecodeResult<T> => ({ ok: true, value: (rootKey === undefined ? value : (value as Record<string, unknown>)[rootKey]) as T });
    if (checker.Check(json)) return unwrap(json);
    const value = Value.Default(full, json);
    if (!checker.Check(value)) {
      const first = checker.Errors(value).First();
      return { ok: false, problem: first ? `${first.path || '/'}: ${first.message}` : 'does not match the schema' };
    }
    return unwrap(value);
  };
}

/** Decoders for a list answer `{rootKey: T[]}`. */
export function listDecoder<T>(schema: TSchema, rootKey: string): Decoder<T[]> {
  return decoder<T[]>(Type.Array(schema), rootKey);
}
