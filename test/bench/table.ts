/** What every benchmark module returns: one table, printed as Markdown so it pastes into the README. */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** Optional lines printed under the table (machine, method, caveats). */
  notes?: string[];
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Times `fn` `reps` times after `warmup` untimed runs and returns the median in milliseconds.
 *
 * @example
 * const ms = await timeMedian(() => wptForward(frame, { levels: 3 }), { reps: 7 });
 */
export async function timeMedian(fn: () => unknown, opts: { reps?: number; warmup?: number } = {}): Promise<number> {
  const { reps = 5, warmup = 1 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

function cell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** Renders a table as Markdown. */
export function renderTable(t: BenchTable): string {
  const lines = [`### ${t.title}`, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  if (t.notes?.length) lines.push('', ...t.notes);
  return lines.join('\n') + '\n';
}
