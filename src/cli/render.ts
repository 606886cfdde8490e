/** How the client prints records, batches and events (tables and one-line summaries). */
import type { AttachmentRecord, BatchSummary, CompletionEvent } from '../workflow/types.js';
import { ATTACHMENT_STATUSES } from '../workflow/types.js';
import type { BatchBody, BatchItemBody } from './client.js';
import { renderKeyValues, renderTable } from './table.js';

export function renderAttachment(r: AttachmentRecord): string {
  return renderKeyValues([
    ['id', r.id],
    ['status', r.status],
    ['stage', r.stage],
    ['server_id', r.server_id],
    ['batch_id', r.batch_id],
    ['vpc_id', r.vpc_id],
    ['subnet_id', r.subnet_id],
    ['port_id', r.port_id],
    ['nic_id', r.nic_id],
    ['ip_address', r.ip_address],
    ['mac_address', r.mac_address],
    ['ecs_job_id', r.ecs_job_id],
    ['created_at', r.created_at],
    ['finished_at', r.finished_at],
    ['error', r.error ? `${r.error.code} at ${r.error.stage}: ${r.error.message}` : undefined],
    ['cloud_code', r.error?.cloud_code],
    ['request_id', r.error?.request_id],
    ['cleanup', r.cleanup ? r.cleanup.status : undefined],
  ]);
}

export function renderCounts(counts: BatchBody['counts'], total: number): string {
  const rows = [...ATTACHMENT_STATUSES.map((s) => ({ status: s as string, n: counts[s] ?? 0 })), { status: 'total', n: total }];
  return renderTable(rows, [
    { header: 'status', value: (r) => r.status },
    { header: 'count', value: (r) => r.n, align: 'right' },
  ]);
}

/** Items table; for large batches only the items that did not succeed (the counts say the rest). */
export function renderBatchItems(items: readonly BatchItemBody[], limit = 50): string {
  const shown = items.length <= limit ? items : items.filter((i) => i.status !== 'succeeded');
  const note = shown.length < items.length ? `\n(${items.length - shown.length} succeeded items not listed; nic-attach status <att_id> shows one)` : '';
  if (shown.length === 0) return note.trim();
  return (
    renderTable(shown, [
      { header: 'attachment', value: (i) => i.id },
      { header: 'server', value: (i) => i.server_id },
      { header: 'status', value: (i) => i.status },
      { header: 'stage', value: (i) => i.stage },
      { header: 'ip', value: (i) => i.ip_address },
      { header: 'error', value: (i) => (i.error ? `${i.error.code}: ${i.error.message}` : undefined), max: 80 },
    ]) + note
  );
}

export function renderBatch(b: BatchBody): string {
  return [
    renderKeyValues([
      ['batch', b.id],
      ['total', b.total],
      ['done', b.done ? 'yes' : 'no'],
      ['created_at', b.created_at],
      ['finished_at', b.finished_at],
    ]),
    '',
    renderCounts(b.counts, b.total),
    '',
    renderBatchItems(b.items),
  ]
    .join('\n')
    .trimEnd();
}

/** One line per event for `watch`. */
export function renderEvent(e: CompletionEvent): string {
  if (e.type === 'batch.completed') {
    const b = e.data as BatchSummary;
    return `${e.timestamp}  ${e.type.padEnd(26)}  ${b.id}  total=${b.total} succeeded=${b.counts.succeeded} failed=${b.counts.failed} cancelled=${b.counts.cancelled}`;
  }
  const r = e.data as AttachmentRecord & { completed_stage?: string };
  const parts = [`server=${r.server_id}`];
  if (r.completed_stage) parts.push(`stage=${r.completed_stage}`);
  if (r.ip_address) parts.push(`ip=${r.ip_address}`);
  if (r.nic_id) parts.push(`nic=${r.nic_id}`);
  if (r.batch_id) parts.push(`batch=${r.batch_id}`);
  if (r.error) parts.push(`error=${r.error.code} (${r.error.message})`);
  return `${e.timestamp}  ${e.type.padEnd(26)}  ${r.id}  ${parts.join(' ')}`;
}
