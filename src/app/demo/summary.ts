/**
 * What the demo reports at the end, from the attachment records (as the API serves them), the emulator's call
 * counts and the receiver: per-stage timings (p50/p95), cloud calls per attachment, outcomes per case against
 * what was expected, and the webhooks received and verified. `problems` lists every mismatch: the demo passes
 * only when it is empty.
 */
import { renderTable } from '../../cli/table.js';
import { STAGES, type AttachmentRecord } from '../../workflow/types.js';
import { CASES, type DemoItem } from './scenario.js';
import type { TargetStats } from './receiver.js';

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

const ms = (v: number | undefined): string => (v === undefined ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

export interface WebhookReport {
  target: string;
  expected: number;
  stats: TargetStats;
}

export interface DemoReport {
  text: string;
  problems: string[];
}

/** Compare each record with its item's expectation. */
export function checkOutcomes(items: readonly DemoItem[], records: ReadonlyMap<string, AttachmentRecord>, ids: readonly string[]): string[] {
  const problems: string[] = [];
  items.forEach((item, i) => {
    const id = ids[i] as string;
    const r = records.get(id);
    if (!r) return problems.push(`${item.case}: attachment ${id} has no record`);
    if (r.status !== item.expect.status) {
      return problems.push(`${item.case}: ${id} ended ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}, expected ${item.expect.status}`);
    }
    if (item.expect.code && r.error?.code !== item.expect.code) problems.push(`${item.case}: ${id} failed with ${r.error?.code ?? 'no code'}, expected ${item.expect.code}`);
    if (item.expect.ip && r.ip_address !== item.expect.ip) problems.push(`${item.case}: ${id} got IP ${r.ip_address ?? 'none'}, expected ${item.expect.ip}`);
    return undefined;
  });
  return problems;
}

export function buildReport(input: {
  items: readonly DemoItem[];
  ids: readonly string[];
  records: ReadonlyMap<string, AttachmentRecord>;
  cloudCalls: Record<string, number>;
  webhooks: readonly WebhookReport[];
  verifier: string;
  elapsedMs: number;
}): DemoReport {
  const { items, ids, records } = input;
  const all = ids.map((id) => records.get(id)).filter((r): r is AttachmentRecord => r !== undefined);
  const problems = checkOutcomes(items, records, ids);

  const stageRows = STAGES.map((stage) => {
    const d = all.map((r) => r.stages[stage]?.duration_ms).filter((v): v is number => typeof v === 'number');
    return { stage, n: d.length, p50: percentile(d, 50), p95: percentile(d, 95), max: percentile(d, 100) };
  });
  const e2e = all.filter((r) => r.finished_at).map((r) => Date.parse(r.finished_at as string) - Date.parse(r.created_at));
  stageRows.push({ stage: 'end to end' as (typeof STAGES)[number], n: e2e.length, p50: percentile(e2e, 50), p95: percentile(e2e, 95), max: percentile(e2e, 100) });

  const caseRows = CASES.map((c) => {
    const mine = items.map((it, i) => ({ it, r: records.get(ids[i] as string) })).filter(({ it }) => it.case === c.name);
    const got = new Map<string, number>();
    for (const { r } of mine) {
      const k = r ? `${r.status}${r.error ? ` ${r.error.code}` : ''}` : 'missing';
      got.set(k, (got.get(k) ?? 0) + 1);
    }
    const expected = `${c.expect.status}${c.expect.code ? ` ${c.expect.code}` : ''}`;
    const ok = mine.every(({ it, r }) => r && r.status === it.expect.status && (!it.expect.code || r.error?.code === it.expect.code) && (!it.expect.ip || r.ip_address === it.expect.ip));
    return { case: c.name, n: mine.length, expected, got: [...got].map(([k, n]) => `${n}× ${k}`).join(', '), ok: ok ? 'yes' : 'NO' };
  });

  const succeeded = all.filter((r) => r.status === 'succeeded');
  const callsPer = succeeded.map((r) => r.cloud_calls ?? 0);
  const totalCalls = Object.values(input.cloudCalls).reduce((a, b) => a + b, 0);
  const ops = Object.entries(input.cloudCalls)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);

  for (const w of input.webhooks) {
    if (w.stats.rejected > 0) problems.push(`webhooks ${w.target}: ${w.stats.rejected} deliveries failed signature verification`);
    if (w.stats.distinct !== w.expected) problems.push(`webhooks ${w.target}: ${w.stats.distinct} distinct events verified, expected ${w.expected}`);
  }

  const text = [
    '',
    `Outcomes (${all.length} attachments, ${(input.elapsedMs / 1000).toFixed(1)} s from submit to the last webhook)`,
    renderTable(caseRows, [
      { header: 'case', value: (r) => r.case },
      { header: 'n', value: (r) => r.n, align: 'right' },
      { header: 'expected', value: (r) => r.expected },
      { header: 'got', value: (r) => r.got, max: 80 },
      { header: 'as expected', value: (r) => r.ok },
    ]),
    '',
    'Stage timings (wall time per stage, waits included)',
    renderTable(stageRows, [
      { header: 'stage', value: (r) => r.stage },
      { header: 'n', value: (r) => r.n, align: 'right' },
      { header: 'p50', value: (r) => ms(r.p50), align: 'right' },
      { header: 'p95', value: (r) => ms(r.p95), align: 'right' },
      { header: 'max', value: (r) => ms(r.max), align: 'right' },
    ]),
    '',
    `Cloud calls: ${totalCalls} in all, ${(totalCalls / Math.max(1, all.length)).toFixed(1)} per attachment; per succeeded attachment p50 ${percentile(callsPer, 50) ?? '–'}, max ${percentile(callsPer, 100) ?? '–'}`,
    `  ${ops.map(([op, n]) => `${op} ${n}`).join(', ')}`,
    '',
    `Webhooks (verified with ${input.verifier})`,
    renderTable(input.webhooks, [
      { header: 'target', value: (w) => w.target },
      { header: 'requests', value: (w) => w.stats.requests, align: 'right' },
      { header: 'verified', value: (w) => w.stats.verified, align: 'right' },
      { header: 'rejected', value: (w) => w.stats.rejected, align: 'right' },
      { header: 'distinct events', value: (w) => `${w.stats.distinct}/${w.expected}`, align: 'right' },
    ]),
  ].join('\n');
  return { text, problems };
}
