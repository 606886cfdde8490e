/**
 * Wire types of the VPC v1 and ECS v1 APIs used by this service (huawei-cloud-api.md §3, §4, §8 rows 1–18).
 * Field names are the cloud's (snake_case). Shared by the client (src/cloud) and the emulator (src/emulator).
 */

// ---------- VPC (§3.1–3.4)
export type VpcStatus = 'CREATING' | 'OK' | 'ERROR';
export interface VpcRoute {
  destination: string;
  nexthop: string;
}
export interface Vpc {
  id: string;
  name: string;
  description: string;
  cidr: string;
  status: VpcStatus;
  routes: VpcRoute[];
  enterprise_project_id: string;
  tenant_id: string;
  created_at: string;
  updated_at: string;
  block_service_endpoint_states?: string;
  enable_network_address_usage_metrics?: boolean;
}
export interface CreateVpcOption {
  name?: string;
  description?: string;
  cidr?: string;
  enterprise_project_id?: string;
  tags?: string[];
  /** `on` / `off` (API definition and Go SDK; not in the Node SDK's model). */
  block_service_endpoint_states?: 'on' | 'off';
  enable_network_address_usage_metrics?: boolean;
}
export interface ListVpcsQuery {
  limit?: number;
  marker?: string;
  id?: string;
  enterprise_project_id?: string;
}

// ---------- VPC v3 ListVpcs (§3.3, §8 row 3b): the list with a name filter that v1 lacks.
// A different object from the v1 Vpc: other fields, and the status vocabulary PENDING/ACTIVE (not CREATING/OK).
export type VpcV3Status = 'PENDING' | 'ACTIVE';
export interface VpcV3 {
  id: string;
  name: string;
  description: string;
  cidr: string;
  extend_cidrs: string[];
  status: VpcV3Status;
  project_id: string;
  enterprise_project_id: string;
  created_at: string;
  updated_at: string;
  cloud_resources: Array<{ resource_type: string; resource_count: number }>;
  tags: Array<{ key: string; value: string }>;
}
/** v3 pagination: next_marker is present only when more items follow. */
export interface PageInfo {
  previous_marker?: string;
  current_count: number;
  next_marker?: string;
}
/** Every filter but enterprise_project_id is repeatable (sent as repeated keys; any value matches). */
export interface ListVpcsV3Query {
  /** 0–2000. */
  limit?: number;
  marker?: string;
  id?: string[];
  name?: string[];
  description?: string[];
  cidr?: string[];
  /** `all_granted_eps` = every enterprise project. */
  enterprise_project_id?: string;
}
/** One page of ListVpcs v3: the body as sent (`request_id`, `vpcs`, `page_info`). */
export interface ListVpcsV3Page {
  request_id: string;
  vpcs: VpcV3[];
  page_info: PageInfo;
}

// ---------- Subnet (§3.5–3.6)
export type SubnetStatus = 'ACTIVE' | 'UNKNOWN' | 'ERROR';
export interface ExtraDhcpOpt {
  opt_name: string;
  opt_value?: string;
}
export interface Subnet {
  id: string;
  name: string;
  description: string;
  cidr: string;
  gateway_ip: string;
  ipv6_enable: boolean;
  cidr_v6?: string;
  gateway_ip_v6?: string;
  neutron_subnet_id_v6?: string;
  dhcp_enable: boolean;
  primary_dns: string;
  secondary_dns: string;
  dnsList: string[];
  availability_zone: string;
  vpc_id: string;
  status: SubnetStatus;
  neutron_network_id: string;
  neutron_subnet_id: string;
  extra_dhcp_opts: ExtraDhcpOpt[];
  scope?: string;
  tenant_id: string;
  created_at: string;
  updated_at: string;
  enable_network_address_usage_metrics?: boolean;
  available_ip_address_count?: number;
}
export interface CreateSubnetOption {
  name: string;
  cidr: string;
  gateway_ip: string;
  vpc_id: string;
  description?: string;
  ipv6_enable?: boolean;
  dhcp_enable?: boolean;
  primary_dns?: string;
  secondary_dns?: string;
  dnsList?: string[];
  availability_zone?: string;
  extra_dhcp_opts?: ExtraDhcpOpt[];
  tags?: string[];
  enable_network_address_usage_metrics?: boolean;
}
export interface ListSubnetsQuery {
  limit?: number;
  marker?: string;
  vpc_id?: string;
}

// ---------- Port (§3.7–3.10)
export type PortStatus = 'ACTIVE' | 'BUILD' | 'DOWN';
export interface FixedIp {
  ip_address?: string;
  /** neutron_subnet_id, not the VPC subnet id (§1.2). */
  subnet_id?: string;
}
export interface AllowedAddressPair {
  ip_address: string;
  mac_address?: string;
}
export interface Port {
  id: string;
  name: string;
  network_id: string;
  tenant_id: string;
  admin_state_up: boolean;
  mac_address: string;
  fixed_ips: Array<{ ip_address: string; subnet_id: string }>;
  device_id: string;
  device_owner: string;
  status: PortStatus;
  security_groups: string[];
  allowed_address_pairs: AllowedAddressPair[];
  extra_dhcp_opts: Array<{ opt_name?: string; opt_value?: string }>;
  'binding:vnic_type': string;
  'binding:vif_details': Record<string, unknown>;
  'binding:profile': Record<string, unknown>;
  dns_assignment: Array<{ hostname: string; ip_address: string; fqdn: string }>;
  dns_name: string;
  instance_id: string;
  instance_type: string;
  port_security_enabled: boolean;
  zone_id: string;
  enable_efi?: boolean;
  ipv6_bandwidth_id?: string;
}
export interface CreatePortOption {
  network_id: string;
  name?: string;
  fixed_ips?: FixedIp[];
  security_groups?: string[];
  admin_state_up?: boolean;
  device_owner?: string;
  allowed_address_pairs?: AllowedAddressPair[];
  extra_dhcp_opts?: Array<{ opt_name?: string; opt_value?: string }>;
}
export interface ListPortsQuery {
  name?: string;
  id?: string[];
  limit?: number;
  marker?: string;
  admin_state_up?: boolean;
  network_id?: string;
  mac_address?: string;
  device_id?: string;
  device_owner?: string;
  status?: PortStatus;
  security_groups?: string[];
  /** Each entry `ip_address=1.2.3.4` or `subnet_id=<neutron subnet id>`. */
  fixed_ips?: string[];
  enterprise_project_id?: string;
  enable_efi?: boolean;
}

// ---------- ECS NICs and jobs (§4.1–4.3)
export interface BatchAddServerNicOption {
  subnet_id?: string;
  port_id?: string;
  security_groups?: Array<{ id: string }>;
  ip_address?: string;
  ipv6_enable?: boolean;
  ipv6_bandwidth?: { id: string };
}
export interface JobAccepted {
  job_id: string;
}
export type JobStatus = 'SUCCESS' | 'RUNNING' | 'FAIL' | 'INIT' | 'PENDING_PAYMENT';
/** The fields a job and each of its sub-jobs both carry; only `entities` differs. */
export interface JobFields {
  status: JobStatus;
  job_id: string;
  job_type: string;
  begin_time: string | null;
  end_time: string | null;
  error_code: string | null;
  fail_reason: string | null;
}
export interface SubJob extends JobFields {
  entities: { server_id?: string; nic_id?: string; errorcode_message?: string };
}
export interface Job extends JobFields {
  entities: { server_id?: string; nic_id?: string; sub_jobs_total?: number; sub_jobs?: SubJob[] };
}

// ---------- ECS servers (§4.4–4.6)
export interface ServerAddress {
  version: '4' | '6';
  addr: string;
  'OS-EXT-IPS:type': 'fixed' | 'floating';
  'OS-EXT-IPS-MAC:mac_addr': string;
  'OS-EXT-IPS:port_id': string;
  primary?: boolean;
}
export interface ServerDetail {
  id: string;
  name: string;
  tenant_id: string;
  user_id: string;
  status: string;
  'OS-EXT-STS:vm_state': string;
  'OS-EXT-STS:task_state': string | null;
  'OS-EXT-STS:power_state': number;
  'OS-EXT-AZ:availability_zone': string;
  addresses: Record<string, ServerAddress[]>;
  metadata: Record<string, string>;
  flavor: { id: string; name: string; disk: string; vcpus: string; ram: string; gpus?: unknown[]; asic_accelerators?: unknown[] };
  security_groups: Array<{ id?: string; name: string }>;
  locked: boolean;
  host_status: string;
  created: string;
  updated: string;
  fault?: { code: number; message: string; created: string; details: string };
  [extra: string]: unknown;
}
export interface InterfaceAttachment {
  port_state: string;
  fixed_ips: Array<{ ip_address: string; subnet_id: string }>;
  net_id: string;
  port_id: string;
  mac_addr: string;
  delete_on_termination: boolean;
  driver_mode: string | null;
  min_rate: number | null;
  multiqueue_num: number | null;
  pci_address: string;
}
export interface ServerInterfaces {
  attachableQuantity: { free_nic: number };
  interfaceAttachments: InterfaceAttachment[];
}
export interface ServerAttachableNicNum {
  attachableQuantity: { free_efi_nic?: number; free_scsi?: number; free_blk?: number; free_disk?: number; free_nic: number };
  interfaceAttachments: Array<InterfaceAttachment & { preserve_on_delete?: boolean }>;
}

/** Operation names (the §8 table, rows 1–18 and 3b; also the emulator's call-count keys). */
export type OperationName =
  | 'CreateVpc'
  | 'ShowVpc'
  | 'ListVpcs'
  | 'ListVpcsV3'
  | 'DeleteVpc'
  | 'CreateSubnet'
  | 'ShowSubnet'
  | 'ListSubnets'
  | 'DeleteSubnet'
  | 'CreatePort'
  | 'ShowPort'
  | 'ListPorts'
  | 'DeletePort'
  | 'BatchAddServerNics'
  | 'BatchDeleteServerNics'
  | 'ShowJob'
  | 'ShowServer'
  | 'ListServerInterfaces'
  | 'ShowServerAttachableNicNum';
