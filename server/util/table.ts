// Plain-text tables for the command line: columns sized to their content,
// numbers right-aligned, nothing that needs a TTY.
export interface Column<T> {
  title: string;
  value: (row: T) => string | number | null | undefined;
  align?: 'left' | 'right';
  max?: number;
}

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v;
}

export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const text = cell(c.value(r)).replace(/\s+/g, ' ');
      return c.max && text.length > c.max ? text.slice(0, c.max - 1) + '…' : text;
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
