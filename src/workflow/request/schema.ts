/**
 * The request bodies of design.md §4 as TypeBox schemas: one source for validation (./structural.ts), the
 * TypeScript types (Static) and the OpenAPI document the API serves at /docs. Every object is closed
 * (`additionalProperties: false`) so a misspelt field is an error, not silently ignored.
 *
 * `x-error-code` names the error code a constraint failure on that node reports (a type mismatch is always
 * INVALID_TYPE, a missing property MISSING_FIELD, an unknown one UNKNOWN_FIELD). Checks that span fields or need
 * arithmetic (CIDR containment, gateway and fixed IP inside the subnet, DHCP options) live in ./semantic.ts.
 * Limits follow huawei-cloud-api.md §3.1, §3.5 and §3.7.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Letters, digits, Chinese (CJK unified ideographs, as the cloud's own check), `_`, `-`, `.`. */
export const CLOUD_NAME_PATTERN = '^[A-Za-z0-9\\u4e00-\\u9fa5_.\\-]+$';
/** 0–255 characters without `<` or `>`. */
export const DESCRIPTION_PATTERN = '^[^<>]*$';

export const LIMITS = {
  nameMaxLength: 64,
  descriptionMaxLength: 255,
  securityGroupsMax: 10,
  dnsListMax: 5,
  extraDhcpOptsMax: 2,
  metadataMaxKeys: 32,
  metadataMaxBytes: 4096,
  metadataKeyMaxLength: 64,
  callbackUrlMaxLength: 2048,
  availabilityZoneMaxLength: 64,
  serverIdMaxLength: 36,
} as const;

const code = (c: string): { 'x-error-code': string } => ({ 'x-error-code': c });

const Uuid = (description: string) =>
  Type.String({ format: 'uuid', maxLength: 36, description, examples: ['2b8e1a6e-3f0c-4e43-9a5d-5f1f0c2a7b11'], ...code('INVALID_UUID') });

const Ipv4 = (description: string, errorCode = 'INVALID_IP') =>
  Type.String({ format: 'ipv4', maxLength: 15, description, examples: ['192.168.10.20'], ...code(errorCode) });

const Cidr = (description: string) =>
  Type.String({ maxLength: 18, description, examples: ['192.168.0.0/16'], ...code('INVALID_CIDR') });

const Name = (description: string) =>
  Type.String({ minLength: 1, maxLength: LIMITS.nameMaxLength, pattern: CLOUD_NAME_PATTERN, description, ...code('INVALID_NAME') });

const Description = Type.String({
  maxLength: LIMITS.descriptionMaxLength,
  pattern: DESCRIPTION_PATTERN,
  description: '0–255 characters, no `<` or `>`.',
  ...code('INVALID_DESCRIPTION'),
});

export const VpcByIdSchema = Type.Object({ id: Uuid('An existing VPC (verified by the network stage).') }, { additionalProperties: false, title: 'VpcById' });

export const VpcByNameSchema = Type.Object(
  {
    name: Name('Found by name, or created: 1–64 letters, digits, Chinese, `_`, `-`, `.`.'),
    cidr: Cidr('Inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, prefix /8 to /28.'),
    description: Type.Optional(Description),
  },
  { additionalProperties: false, title: 'VpcByName' },
);

export const VpcSpecSchema = Type.Union([VpcByIdSchema, VpcByNameSchema], {
  description: 'The VPC: `{id}` of an existing one, or `{name, cidr}` to find or create. Omitted: the server\'s VPC.',
  ...code('INVALID_VPC'),
});

export const DhcpOptionSchema = Type.Object(
  {
    opt_name: Type.Union([Type.Literal('ntp'), Type.Literal('addresstime')], { description: '`ntp` or `addresstime`.', ...code('INVALID_DHCP_OPTION') }),
    opt_value: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'ntp: up to 4 distinct comma-separated IPv4 addresses; addresstime: `-1` or `1h`..`30000h`.',
        ...code('INVALID_DHCP_OPTION'),
      }),
    ),
  },
  { additionalProperties: false, title: 'DhcpOption' },
);

export const SubnetByIdSchema = Type.Object(
  { id: Uuid('An existing subnet (the VPC subnet id, = neutron network id), verified to be in the VPC.') },
  { additionalProperties: false, title: 'SubnetById' },
);

export const SubnetByNameSchema = Type.Object(
  {
    name: Name('Found by (VPC, name, cidr), or created: 1–64 letters, digits, Chinese, `_`, `-`, `.`.'),
    cidr: Cidr('Inside the VPC cidr, prefix length ≤ 28, written as its network address.'),
    gateway_ip: Type.Optional(Ipv4('Inside the cidr, not its network or broadcast address. Default: the first host.', 'INVALID_IP')),
    description: Type.Optional(Description),
    dhcp_enable: Type.Optional(Type.Boolean({ description: 'Default true (false breaks DHCP on new servers).' })),
    ipv6_enable: Type.Optional(Type.Boolean({ description: 'Default false.' })),
    primary_dns: Type.Optional(Ipv4('IPv4 DNS server.', 'INVALID_DNS')),
    secondary_dns: Type.Optional(Ipv4('IPv4 DNS server.', 'INVALID_DNS')),
    dns_list: Type.Optional(
      Type.Array(Ipv4('IPv4 DNS server.', 'INVALID_DNS'), {
        maxItems: LIMITS.dnsListMax,
        description: 'All DNS servers (sent as `dnsList`); must include primary_dns and secondary_dns when they are given.',
        ...code('INVALID_DNS'),
      }),
    ),
    availability_zone: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.availabilityZoneMaxLength,
        pattern: '^[a-z0-9][a-z0-9-]*$',
        description: 'An availability zone of the region, e.g. `cn-north-4a`.',
        ...code('INVALID_AVAILABILITY_ZONE'),
      }),
    ),
    extra_dhcp_opts: Type.Optional(
      Type.Array(DhcpOptionSchema, { maxItems: LIMITS.extraDhcpOptsMax, description: 'At most one option of each name.', ...code('INVALID_DHCP_OPTION') }),
    ),
  },
  { additionalProperties: false, title: 'SubnetByName' },
);

export const SubnetSpecSchema = Type.Union([SubnetByIdSchema, SubnetByNameSchema], {
  description: 'The subnet: `{id}` of an existing one, or `{name, cidr, ...}` (every CreateSubnet option) to find or create.',
  ...code('INVALID_SUBNET'),
});

export const PortSpecSchema = Type.Object(
  {
    fixed_ip: Type.Optional(Ipv4('An IPv4 address inside the subnet, not reserved (network, gateway, last three).')),
    security_group_ids: Type.Optional(
      Type.Array(Uuid('A security group id.'), {
        maxItems: LIMITS.securityGroupsMax,
        description: `Up to ${LIMITS.securityGroupsMax} distinct ids. Default: the configured ones, else the project's default group.`,
        ...code('TOO_MANY_SECURITY_GROUPS'),
      }),
    ),
  },
  { additionalProperties: false, title: 'PortSpec' },
);

export const CallbackUrlSchema = Type.String({
  format: 'http-url',
  maxLength: LIMITS.callbackUrlMaxLength,
  description: 'Absolute http(s) URL that receives the completion event as a signed webhook.',
  examples: ['https://example.com/hooks/nic'],
  ...code('INVALID_CALLBACK_URL'),
});

export const MetadataSchema = Type.Record(Type.String(), Type.Unknown(), {
  description: `Caller data kept on the record and echoed in events: a JSON object, ≤ ${LIMITS.metadataMaxKeys} keys, ≤ ${LIMITS.metadataMaxBytes} bytes as JSON.`,
  ...code('INVALID_METADATA'),
});

export const AttachmentRequestSchema = Type.Object(
  {
    server_id: Uuid('The ECS server that receives the NIC.'),
    vpc: Type.Optional(VpcSpecSchema),
    subnet: Type.Optional(SubnetSpecSchema),
    port: Type.Optional(PortSpecSchema),
    callback_url: Type.Optional(CallbackUrlSchema),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false, title: 'AttachmentRequest', description: 'Give server `server_id` a NIC in `subnet` (of `vpc`), with `port` options.' },
);

export const BatchRequestSchema = Type.Object(
  {
    items: Type.Array(AttachmentRequestSchema, { minItems: 1, ...code('BATCH_EMPTY'), description: 'The attachment requests (at most the configured api.batchMaxItems).' }),
    callback_url: Type.Optional(CallbackUrlSchema),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false, title: 'BatchRequest' },
);

export type AttachmentRequestBody = Static<typeof AttachmentRequestSchema>;
export type BatchRequestBody = Static<typeof BatchRequestSchema>;
