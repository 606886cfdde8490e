/**
 * How an attachment record lives in its Redis hash: scalar fields as strings, nested ones as JSON. The kind
 * of every field is listed once here; the Lua scripts receive the same table so they can rebuild the record
 * as JSON (the `data` of a completion event) without a round trip.
 */
import type { AttachmentRecord } from './types.js';

export type FieldKind = 'string' | 'number' | 'boolean' | 'json';

export const RECORD_FIELDS: Readonly<Record<keyof AttachmentRecord, FieldKind>> = {
  id: 'string',
  status: 'string',
  stage: 'string',
  server_id: 'string',
  request: 'json',
  batch_id: 'string',
  callback_url: 'string',
  metadata: 'json',
  idempotency_key: 'string',
  vpc_id: 'string',
  subnet_id: 'string',
  neutron_subnet_id: 'string',
  server_vpc_id: 'string',
  port_id: 'string',
  nic_id: 'string',
  ecs_job_id: 'string',
  ip_address: 'string',
  mac_address: 'string',
  created_vpc: 'boolean',
  created_subnet: 'boolean',
  created_port: 'boolean',
  created_at: 'string',
  updated_at: 'string',
  finished_at: 'string',
  attach_requested_at: 'string',
  port_create_requested_at: 'string',
  vpc_create_requested_at: 'string',
  subnet_create_requested_at: 'string',
  ecs_job_submitted_at: 'string',
  poll_count: 'number',
  stages: 'json',
  error: 'json',
  cleanup: 'json',
  cloud_calls: 'number',
};

/** The field table as JSON, for the scripts. */
export const RECORD_FIELDS_JSON = JSON.stringify(RECORD_FIELDS);

function encodeValue(kind: FieldKind, value: unknown): string {
  switch (kind) {
    case 'string':
      return String(value);
    case 'number': {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new TypeError(`record field must be a finite number, got ${String(value)}`);
      return String(n);
    }
    case 'boolean':
      return value ? 'true' : 'false';
    case 'json':
      return JSON.stringify(value);
  }
}

/** Hash field/value pairs for the given fields; undefined values and unknown fields are left out. */
export function encodeFields(fields: Partial<AttachmentRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    const kind = RECORD_FIELDS[name as keyof AttachmentRecord];
    if (kind === undefined || value === undefined) continue;
    out[name] = encodeValue(kind, value);
  }
  return out;
}

/** The flat argument list [n, f1, v1, f2, v2, ...] the scripts take. */
export function fieldArgs(fields: Partial<AttachmentRecord>): string[] {
  const enc = encodeFields(fields);
  const pairs = Object.entries(enc).flat();
  return [String(pairs.length / 2), ...pairs];
}

export function decodeRecord(hash: Record<string, string>): AttachmentRecord | null {
  if (hash.id === undefined || hash.status === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(hash)) {
    const kind = RECORD_FIELDS[name as keyof AttachmentRecord];
    if (kind === undefined) continue;
    switch (kind) {
      case 'string':
        out[name] = raw;
        break;
      case 'number':
        out[name] = Number(raw);
        break;
      case 'boolean':
        out[name] = raw === 'true';
        break;
      case 'json':
        out[name] = JSON.parse(raw) as unknown;
        break;
    }
  }
  out.stages ??= {};
  return out as unknown as AttachmentRecord;
}
