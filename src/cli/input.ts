/**
 * Input files of `batch` and `submit --file`: JSON lines (one attachment request per line; blank lines and
 * lines starting with # are skipped), a JSON array or `{ "items": [...] }`, or CSV with a header row. CSV
 * headers are request paths (`server_id`, `subnet.cidr`, `port.fixed_ip`, `metadata.team`) or the short names
 * below (`subnet_id`, `fixed_ip`, ...); empty cells are left out; list cells (`security_group_ids`,
 * `dns_list`) are separated by `;`. Each request keeps its line number, so an item the API refuses is
 * reported by line. The API validates; this file only shapes.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { AttachmentRequest } from '../workflow/types.js';
import { UsageError } from './exit-codes.js';

export interface InputItem {
  request: AttachmentRequest;
  /** 1-based line of the file the item came from. */
  line: number;
}

const ALIASES: Record<string, string> = {
  server: 'server_id',
  vpc_id: 'vpc.id',
  vpc_name: 'vpc.name',
  vpc_cidr: 'vpc.cidr',
  vpc_description: 'vpc.description',
  subnet_id: 'subnet.id',
  subnet_name: 'subnet.name',
  subnet_cidr: 'subnet.cidr',
  gateway_ip: 'subnet.gateway_ip',
  subnet_description: 'subnet.description',
  dhcp_enable: 'subnet.dhcp_enable',
  ipv6_enable: 'subnet.ipv6_enable',
  primary_dns: 'subnet.primary_dns',
  secondary_dns: 'subnet.secondary_dns',
  dns_list: 'subnet.dns_list',
  availability_zone: 'subnet.availability_zone',
  fixed_ip: 'port.fixed_ip',
  security_group_ids: 'port.security_group_ids',
  security_groups: 'port.security_group_ids',
};
const LIST_FIELDS = new Set(['port.security_group_ids', 'subnet.dns_list']);
const BOOLEAN_FIELDS = new Set(['subnet.dhcp_enable', 'subnet.ipv6_enable']);

/** RFC 4180 CSV: quoted cells may hold commas, quotes ("") and newlines. Returns rows with their first line. */
export function parseCsv(text: string): Array<{ cells: string[]; line: number }> {
  const rows: Array<{ cells: string[]; line: number }> = [];
  let cells: string[] = [];
  let cellText = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = (): void => {
    cells.push(cellText);
    if (!(cells.length === 1 && cells[0]?.trim() === '')) rows.push({ cells, line: rowLine });
    cells = [];
    cellText = '';
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cellText += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line += 1;
        cellText += ch;
      }
      i += 1;
      continue;
    }
    if (ch === '"' && cellText.trim() === '') {
      quoted = true;
      cellText = '';
    } else if (ch === ',') {
      cells.push(cellText);
      cellText = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else {
      cellText += ch;
    }
    i += 1;
  }
  if (quoted) throw new UsageError(`CSV: unterminated quoted cell starting on line ${rowLine}`);
  if (cellText !== '' || cells.length > 0) endRow();
  return rows;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined) node[part] = {};
    else if (typeof next !== 'object' || next === null) throw new UsageError(`CSV: column "${path}" conflicts with another column`);
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function csvValue(path: string, raw: string, line: number): unknown {
  if (LIST_FIELDS.has(path)) return raw.split(';').map((s) => s.trim()).filter((s) => s !== '');
  if (BOOLEAN_FIELDS.has(path)) {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === 'false') return v === 'true';
    throw new UsageError(`line ${line}: ${path} must be true or false, got "${raw}"`);
  }
  return raw.trim();
}

export function requestsFromCsv(text: string): InputItem[] {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) return [];
  const paths = header.cells.map((h) => {
    const name = h.trim();
    return ALIASES[name] ?? name;
  });
  if (!paths.includes('server_id')) throw new UsageError('CSV: the header row needs a server_id column');
  return rows.map(({ cells, line }) => {
    if (cells.length > paths.length) throw new UsageError(`line ${line}: ${cells.length} cells but the header has ${paths.length} columns`);
    const request: Record<string, unknown> = {};
    cells.forEach((raw, i) => {
      const path = paths[i] as string;
      if (raw.trim() === '' || path === '') return;
      setPath(request, path, csvValue(path, raw, line));
    });
    return { request: request as unknown as AttachmentRequest, line };
  });
}

export function requestsFromJson(text: string): InputItem[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && /^\{\s*"items"\s*:/.test(trimmed))) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      // Not one JSON document: read it as JSON lines below.
      doc = undefined;
    }
    if (doc !== undefined) {
      const items = Array.isArray(doc) ? doc : (doc as { items?: unknown }).items;
      if (!Array.isArray(items)) throw new UsageError('JSON: expected an array of requests or { "items": [...] }');
      return items.map((request, i) => ({ request: request as AttachmentRequest, line: i + 1 }));
    }
  }
  const out: InputItem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineText = raw.trim();
    if (lineText === '' || lineText.startsWith('#')) return;
    try {
      out.push({ request: JSON.parse(lineText) as AttachmentRequest, line: i + 1 });
    } catch (err) {
      throw new UsageError(`line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  });
  return out;
}

/** A file's text; a file that cannot be read is a usage error naming it (ENOENT, EACCES, …). */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Read a batch file: CSV by extension (.csv) or content (no leading { or [), JSON lines / JSON otherwise. */
export async function readRequestsFile(path: string): Promise<InputItem[]> {
  const text = (await readText(path)).replace(/^\uFEFF/, '');
  const ext = extname(path).toLowerCase();
  const looksJson = /^\s*[[{]/.test(text);
  const items = ext === '.csv' || (!looksJson && ext !== '.jsonl' && ext !== '.ndjson' && ext !== '.json') ? requestsFromCsv(text) : requestsFromJson(text);
  if (items.length === 0) throw new UsageError(`${path} holds no requests`);
  return items;
}

/** `submit --file req.json`: one JSON object. */
export async function readRequestFile(path: string): Promise<AttachmentRequest> {
  const text = await readText(path);
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected one JSON object');
    return doc as AttachmentRequest;
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
}

export interface SubmitFlags {
  server?: string;
  'vpc-id'?: string;
  'vpc-name'?: string;
  'vpc-cidr'?: string;
  'subnet-id'?: string;
  'subnet-name'?: string;
  'subnet-cidr'?: string;
  'gateway-ip'?: string;
  'fixed-ip'?: string;
  'security-group'?: string[];
  'callback-url'?: string;
  metadata?: string[];
}

/** Build the request of `submit` from its flags; usage errors for combinations the API could never accept. */
export function requestFromFlags(f: SubmitFlags): AttachmentRequest {
  if (!f.server) throw new UsageError('--server <server id> is required (or --file req.json)');
  const request: AttachmentRequest = { server_id: f.server };
  if (f['vpc-id'] && (f['vpc-name'] || f['vpc-cidr'])) throw new UsageError('give --vpc-id, or --vpc-name with --vpc-cidr, not both');
  if (f['vpc-id']) request.vpc = { id: f['vpc-id'] };
  else if (f['vpc-name'] || f['vpc-cidr']) {
    if (!f['vpc-name'] || !f['vpc-cidr']) throw new UsageError('--vpc-name and --vpc-cidr go together');
    request.vpc = { name: f['vpc-name'], cidr: f['vpc-cidr'] };
  }
  if (f['subnet-id'] && (f['subnet-name'] || f['subnet-cidr'] || f['gateway-ip'])) throw new UsageError('give --subnet-id, or --subnet-name with --subnet-cidr, not both');
  if (f['subnet-id']) request.subnet = { id: f['subnet-id'] };
  else if (f['subnet-name'] || f['subnet-cidr'] || f['gateway-ip']) {
    if (!f['subnet-name'] || !f['subnet-cidr']) throw new UsageError('--subnet-name and --subnet-cidr go together');
    request.subnet = { name: f['subnet-name'], cidr: f['subnet-cidr'], ...(f['gateway-ip'] ? { gateway_ip: f['gateway-ip'] } : {}) };
  }
  const groups = (f['security-group'] ?? []).flatMap((g) => g.split(',')).map((g) => g.trim()).filter((g) => g !== '');
  if (f['fixed-ip'] || groups.length > 0) request.port = { ...(f['fixed-ip'] ? { fixed_ip: f['fixed-ip'] } : {}), ...(groups.length > 0 ? { security_group_ids: groups } : {}) };
  if (f['callback-url']) request.callback_url = f['callback-url'];
  if (f.metadata && f.metadata.length > 0) {
    const metadata: Record<string, string> = {};
    for (const pair of f.metadata) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--metadata takes key=value, got "${pair}"`);
      metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    request.metadata = metadata;
  }
  return request;
}
