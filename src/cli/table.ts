/** Plain-text tables for the terminal (no dependencies): padded columns, a header rule, long cells cut. */

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
  /** Longest cell before it is cut with "…" (default 60). */
  max?: number;
  align?: 'left' | 'right';
}

function cell(value: string | number | undefined, max: number): string {
  const text = value === undefined ? '' : String(value).replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max ?? 60)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (parts: string[]): string =>
    parts
      .map((p, i) => (columns[i]?.align === 'right' ? p.padStart(widths[i] ?? 0) : p.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Two columns: key and value (a record shown one field per line). */
export function renderKeyValues(pairs: ReadonlyArray<[string, string | number | boolean | undefined]>): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${String(v)}`).join('\n');
}
