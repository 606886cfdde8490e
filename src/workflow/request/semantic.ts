/**
 * Checks the schema cannot express, run after it passes and before anything is stored or any cloud call is made:
 * what the cloud would reject (huawei-cloud-api.md §3.1, §3.5, §3.7), found here for free instead of after a
 * queue hop and a cloud round trip. Each problem names the field and a specific code.
 */
import {
  cidrContains,
  cidrContainsIp,
  firstHost,
  formatCidr,
  formatIpv4,
  isAligned,
  isPrivateCidr,
  isPrivateIp,
  parseCidr,
  parseIpv4,
  reservedAddresses,
  type Cidr,
} from '../../lib/net.js';
import type { AttachmentRequest, SubnetSpec, VpcSpec } from '../types.js';
import { LIMITS } from './schema.js';
import type { FieldProblem } from './structural.js';

type Problems = FieldProblem[];

function add(out: Problems, field: string, code: string, message: string): void {
  out.push({ field, code, message: `${field}: ${message}` });
}

interface CidrRules {
  minPrefix: number;
  maxPrefix: number;
}

/** Parse and check one CIDR; undefined (with problems added) when it is unusable for further checks. */
function checkCidr(out: Problems, field: string, text: string, rules: CidrRules): Cidr | undefined {
  const cidr = parseCidr(text);
  if (!cidr) {
    add(out, field, 'INVALID_CIDR', `"${text}" is not an IPv4 CIDR (a.b.c.d/n)`);
    return undefined;
  }
  if (cidr.prefix < rules.minPrefix || cidr.prefix > rules.maxPrefix) {
    add(out, field, 'CIDR_PREFIX_OUT_OF_RANGE', `prefix length /${cidr.prefix} is outside /${rules.minPrefix}../${rules.maxPrefix}`);
    return undefined;
  }
  if (!isAligned(cidr)) {
    add(out, field, 'CIDR_NOT_ALIGNED', `"${text}" has host bits set; the block is ${formatCidr(cidr)}`);
    return undefined;
  }
  if (!isPrivateCidr(cidr)) {
    add(out, field, 'CIDR_NOT_PRIVATE', `${text} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`);
    return undefined;
  }
  return cidr;
}

function checkVpc(out: Problems, vpc: VpcSpec | undefined): Cidr | undefined {
  if (!vpc || 'id' in vpc) return undefined;
  return checkCidr(out, 'vpc.cidr', vpc.cidr, { minPrefix: 8, maxPrefix: 28 });
}

const ADDRESSTIME_RE = /^(-1|[1-9][0-9]{0,4}h)$/;

function checkDhcpOptions(out: Problems, opts: Array<{ opt_name: string; opt_value?: string }>): void {
  const seen = new Set<string>();
  opts.forEach((opt, i) => {
    const field = `subnet.extra_dhcp_opts[${i}]`;
    if (seen.has(opt.opt_name)) add(out, `${field}.opt_name`, 'INVALID_DHCP_OPTION', `"${opt.opt_name}" is given twice`);
    seen.add(opt.opt_name);
    const value = opt.opt_value;
    if (value === undefined || value === '') return;
    if (opt.opt_name === 'ntp') {
      const servers = value.split(',');
      if (servers.length > 4) add(out, `${field}.opt_value`, 'INVALID_DHCP_OPTION', 'ntp takes at most 4 servers');
      else if (servers.some((s) => parseIpv4(s) === undefined)) add(out, `${field}.opt_value`, 'INVALID_DHCP_OPTION', 'ntp servers must be comma-separated IPv4 addresses');
      else if (new Set(servers).size !== servers.length) add(out, `${field}.opt_value`, 'INVALID_DHCP_OPTION', 'ntp servers must be distinct');
    } else if (opt.opt_name === 'addresstime') {
      const m = ADDRESSTIME_RE.exec(value);
      const hours = value === '-1' ? -1 : Number(value.slice(0, -1));
      if (!m || hours > 30_000) add(out, `${field}.opt_value`, 'INVALID_DHCP_OPTION', 'addresstime is -1 (infinite) or 1h..30000h');
    }
  });
}

function checkDns(out: Problems, subnet: Exclude<SubnetSpec, { id: string }>): void {
  const list = subnet.dns_list;
  if (!list) return;
  if (new Set(list).size !== list.length) add(out, 'subnet.dns_list', 'INVALID_DNS', 'contains a DNS server twice');
  for (const key of ['primary_dns', 'secondary_dns'] as const) {
    const v = subnet[key];
    if (v !== undefined && !list.includes(v)) add(out, 'subnet.dns_list', 'DNS_LIST_MISMATCH', `must include ${key} ${v} (dns_list is the full list)`);
  }
}

/** Checks of a subnet to find or create; returns its block and gateway when they are known and valid. */
function checkSubnet(out: Problems, subnet: SubnetSpec | undefined, vpcCidr: Cidr | undefined): { cidr: Cidr; gateway: number } | undefined {
  if (!subnet || 'id' in subnet) return undefined;
  checkDns(out, subnet);
  if (subnet.extra_dhcp_opts) checkDhcpOptions(out, subnet.extra_dhcp_opts);
  const cidr = checkCidr(out, 'subnet.cidr', subnet.cidr, { minPrefix: 8, maxPrefix: 28 });
  if (!cidr) return undefined;
  if (vpcCidr && !cidrContains(vpcCidr, cidr)) {
    add(out, 'subnet.cidr', 'SUBNET_OUTSIDE_VPC', `${subnet.cidr} is not inside the VPC cidr ${formatCidr(vpcCidr)}`);
  }
  let gateway = firstHost(cidr);
  if (subnet.gateway_ip !== undefined) {
    const gw = parseIpv4(subnet.gateway_ip);
    if (gw === undefined) return undefined; // the schema reported it
    if (!cidrContainsIp(cidr, gw)) {
      add(out, 'subnet.gateway_ip', 'GATEWAY_OUTSIDE_SUBNET', `${subnet.gateway_ip} is outside the subnet ${subnet.cidr}`);
      return undefined;
    }
    if (gw === cidr.network || gw === cidr.broadcast) {
      add(out, 'subnet.gateway_ip', 'GATEWAY_RESERVED', `${subnet.gateway_ip} is the ${gw === cidr.network ? 'network' : 'broadcast'} address of ${subnet.cidr}`);
      return undefined;
    }
    gateway = gw;
  }
  return { cidr, gateway };
}

function checkFixedIp(out: Problems, fixedIp: string | undefined, subnet: { cidr: Cidr; gateway: number } | undefined, vpcCidr: Cidr | undefined): void {
  if (fixedIp === undefined) return;
  const ip = parseIpv4(fixedIp);
  if (ip === undefined) return; // the schema reported it
  const field = 'port.fixed_ip';
  if (subnet) {
    if (!cidrContainsIp(subnet.cidr, ip)) {
      add(out, field, 'FIXED_IP_OUTSIDE_SUBNET', `${fixedIp} is outside the subnet ${formatCidr(subnet.cidr)}`);
    } else if (reservedAddresses(subnet.cidr, subnet.gateway).has(ip)) {
      add(out, field, 'FIXED_IP_RESERVED', `${fixedIp} is reserved in ${formatCidr(subnet.cidr)} (network, gateway ${formatIpv4(subnet.gateway)} and the last three addresses)`);
    }
    return;
  }
  // The subnet is given by id or omitted: its block is unknown until a stage reads it; check what must hold anyway.
  if (vpcCidr && !cidrContainsIp(vpcCidr, ip)) {
    add(out, field, 'FIXED_IP_OUTSIDE_SUBNET', `${fixedIp} is outside the VPC cidr ${formatCidr(vpcCidr)}`);
  } else if (!isPrivateIp(ip)) {
    add(out, field, 'FIXED_IP_NOT_PRIVATE', `${fixedIp} is not a private address (a VPC subnet is always inside 10/8, 172.16/12 or 192.168/16)`);
  }
}

function checkSecurityGroups(out: Problems, ids: string[] | undefined): void {
  if (!ids) return;
  const lower = ids.map((id) => id.toLowerCase());
  if (new Set(lower).size !== lower.length) add(out, 'port.security_group_ids', 'DUPLICATE_SECURITY_GROUP', 'contains a security group twice');
}

/** Metadata limits (also applied to a batch's metadata). */
export function checkMetadata(out: Problems, field: string, metadata: Record<string, unknown> | undefined): void {
  if (metadata === undefined) return;
  const keys = Object.keys(metadata);
  if (keys.length > LIMITS.metadataMaxKeys) {
    add(out, field, 'METADATA_TOO_LARGE', `has ${keys.length} keys, at most ${LIMITS.metadataMaxKeys} allowed`);
    return;
  }
  const badKey = keys.find((k) => k.length === 0 || k.length > LIMITS.metadataKeyMaxLength);
  if (badKey !== undefined) {
    add(out, field, 'INVALID_METADATA', `keys must be 1–${LIMITS.metadataKeyMaxLength} characters`);
    return;
  }
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  } catch {
    add(out, field, 'INVALID_METADATA', 'must be plain JSON');
    return;
  }
  if (bytes > LIMITS.metadataMaxBytes) add(out, field, 'METADATA_TOO_LARGE', `is ${bytes} bytes as JSON, at most ${LIMITS.metadataMaxBytes} allowed`);
}

/** Every semantic problem of a structurally valid request (empty when it is fine). */
export function semanticProblems(request: AttachmentRequest): FieldProblem[] {
  const out: Problems = [];
  const vpcCidr = checkVpc(out, request.vpc);
  const subnet = checkSubnet(out, request.subnet, vpcCidr);
  const subnetIsNew = request.subnet !== undefined && !('id' in request.subnet);
  // A subnet whose cidr was invalid was reported already; its fixed IP is not checked against a bad block.
  if (!(subnetIsNew && !subnet)) checkFixedIp(out, request.port?.fixed_ip, subnet, vpcCidr);
  checkSecurityGroups(out, request.port?.security_group_ids);
  checkMetadata(out, 'metadata', request.metadata);
  return out;
}
