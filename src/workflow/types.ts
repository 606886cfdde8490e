/**
 * The attachment: the request, its record (the source of truth the API serves) and the completion events.
 * Words as in docs/glossary.md. Field names are snake_case, like the cloud API and the HTTP API.
 */

export const STAGES = ['network', 'subnet', 'port', 'attach', 'poll'] as const;
export type StageName = (typeof STAGES)[number];

export const ATTACHMENT_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type AttachmentStatus = (typeof ATTACHMENT_STATUSES)[number];
export const TERMINAL_STATUSES: readonly AttachmentStatus[] = ['succeeded', 'failed', 'cancelled'];

export type VpcSpec = { id: string } | { name: string; cidr: string; description?: string };

export type SubnetSpec =
  | { id: string }
  | {
      name: string;
      cidr: string;
      gateway_ip?: string;
      description?: string;
      dhcp_enable?: boolean;
      ipv6_enable?: boolean;
      primary_dns?: string;
      secondary_dns?: string;
      dns_list?: string[];
      availability_zone?: string;
      extra_dhcp_opts?: Array<{ opt_name: string; opt_value?: string }>;
    };

export interface PortSpec {
  fixed_ip?: string;
  security_group_ids?: string[];
}

/** "Give server S a NIC in subnet N (of VPC V), with port options P" (design.md §1, §4). */
export interface AttachmentRequest {
  server_id: string;
  vpc?: VpcSpec;
  subnet?: SubnetSpec;
  port?: PortSpec;
  callback_url?: string;
  metadata?: Record<string, unknown>;
}

export interface AttachmentError {
  code: string;
  message: string;
  stage: StageName | 'cleanup' | 'cancel';
  cloud_code?: string;
  request_id?: string;
  retryable?: boolean;
}

export interface StageTiming {
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
  attempts?: number;
}

export interface CleanupResult {
  status: 'pending' | 'done' | 'failed';
  port_deleted?: boolean;
  subnet_deleted?: boolean;
  /** Legacy: only on cleanups of records written when the network stage still created VPCs. */
  vpc_deleted?: boolean;
  nic_detached?: boolean;
  error?: string;
  finished_at?: string;
  /** The BatchDeleteServerNics job cleanup started to detach an attached port (followed until it ends). */
  detach_job_id?: string;
  /** Attempts made by the cleanup job. */
  attempts?: number;
  /** Times the reconciler re-added a cleanup job that had failed without writing a result (stalled out). */
  requeued?: number;
}

export interface AttachmentRecord {
  id: string;
  status: AttachmentStatus;
  /** The stage the attachment is in (or ended in). */
  stage: StageName;
  server_id: string;
  request: AttachmentRequest;
  batch_id?: string;
  callback_url?: string;
  metadata?: Record<string, unknown>;
  idempotency_key?: string;

  vpc_id?: string;
  subnet_id?: string;
  /** The subnet's neutron_subnet_id (what a port's fixed_ips[].subnet_id expects, huawei-cloud-api.md §1.2). */
  neutron_subnet_id?: string;
  /** The server's own VPC (ShowServer metadata.vpc_id), read by the network stage. */
  server_vpc_id?: string;
  port_id?: string;
  nic_id?: string;
  ecs_job_id?: string;
  ip_address?: string;
  mac_address?: string;
  /** Which resources this attachment created (cleanup undoes only those). */
  /** Legacy: only on records written before the network stage stopped creating VPCs; decoded, never acted on. */
  created_vpc?: boolean;
  created_subnet?: boolean;
  created_port?: boolean;

  created_at: string;
  updated_at: string;
  finished_at?: string;
  /**
   * Set by the port stage (awaited) just before it posts CreatePort: a run that finds it without a port_id
   * knows a create may have been carried out with its answer lost, and looks the port up by name first. A
   * record without it has never sent a CreatePort, so the first run skips the lookup. Emptied when the cloud
   * refused the create (an error answer: nothing was made).
   */
  port_create_requested_at?: string;
  /** Legacy (the network stage no longer creates VPCs, docs/workflow.md): decoded, never written or read. */
  vpc_create_requested_at?: string;
  /**
   * Set by the subnet stage (awaited, inside the name lock) just before it posts CreateSubnet: a later run that
   * finds the subnet by name with its marker set knows the earlier create was its own (carried out, answer
   * lost) and still records `created_subnet`, so cleanup (with workflow.cleanupDeleteNetworks) can undo it.
   * Emptied when the cloud refused the create (nothing was made), or when the lock was lost before posting.
   */
  subnet_create_requested_at?: string;
  /**
   * Set by the attach stage just before it posts BatchAddServerNics: a re-run that finds it without an
   * ecs_job_id knows a post may have been carried out with its answer lost, and checks the port first. A
   * record with neither it nor an ecs_job_id has never posted, so the first run skips that check. Emptied when
   * the cloud refused the post of a run that found it unset (no post of this attachment ever acted).
   */
  attach_requested_at?: string;
  /** When the ECS job was submitted (the poll deadline counts from here). */
  ecs_job_submitted_at?: string;
  poll_count?: number;
  stages: Partial<Record<StageName, StageTiming>>;
  error?: AttachmentError;
  cleanup?: CleanupResult;
  cloud_calls?: number;
}

export const EVENT_TYPES = [
  'attachment.succeeded',
  'attachment.failed',
  'attachment.cancelled',
  'attachment.stage_completed',
  'batch.completed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface BatchSummary {
  id: string;
  total: number;
  counts: Record<AttachmentStatus, number>;
  created_at: string;
  finished_at?: string;
  callback_url?: string;
  metadata?: Record<string, unknown>;
}

/**
 * A completion event, as appended to the stream `<prefix>:events` (field `event` = this JSON) and as the body
 * of a webhook. `id` is stable (evt_<uuid>) and becomes the webhook-id header.
 */
export interface CompletionEvent {
  id: string;
  type: EventType;
  timestamp: string;
  data: AttachmentRecord | BatchSummary | (AttachmentRecord & { completed_stage: StageName });
}
