/**
 * Progress for long batches on stderr: a redrawn bar with rate and ETA when stderr is a terminal,
 * otherwise a plain line every few seconds (log files and CI keep one readable line per period
 * instead of carriage-return noise).
 */

export interface ProgressCounts {
  done: number;
  skipped: number;
  failed: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : String(m)}:${String(sec).padStart(2, '0')}`;
};

/** Human byte sizes (1.2 MB). */
export function fmtBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/**
 * Draws progress. `update` may be called as often as results arrive; drawing is rate-limited.
 *
 * @example
 * const p = new Progress(process.stderr, { label: 'walloc batch' });
 * p.update({ done: 3, skipped: 0, failed: 0, total: 10, bytesIn: 1e6, bytesOut: 5e4 });
 * p.finish();
 */
export class Progress {
  private readonly t0 = performance.now();
  private last = 0;
  private readonly tty: boolean;
  private readonly interval: number;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, private readonly opts: { label: string; intervalMs?: number; quiet?: boolean }) {
    this.tty = stream.isTTY === true;
    this.interval = opts.intervalMs ?? (this.tty ? 100 : 10_000);
  }

  update(c: ProgressCounts, force = false): void {
    if (this.opts.quiet) return;
    const now = performance.now();
    if (!force && now - this.last < this.interval) return;
    this.last = now;
    this.stream.write(this.tty ? `\r${this.line(c, true)}\x1b[K` : `${this.line(c, false)}\n`);
  }

  private line(c: ProgressCounts, bar: boolean): string {
    const n = c.done + c.skipped + c.failed;
    const s = (performance.now() - this.t0) / 1000;
    // Rate over work actually done: skipped files are near-free and would make the ETA lie.
    const rate = s > 0 ? c.done / s : 0;
    const eta = rate > 0 ? (c.total - n) / rate : Infinity;
    const pct = c.total ? n / c.total : 1;
    const width = 24;
    const fill = Math.round(pct * width);
    const b = bar ? `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ` : '';
    return `${this.opts.label}: ${b}${n}/${c.total} (${(100 * pct).toFixed(0)}%) ${rate.toFixed(1)} files/s, ETA ${fmtTime(eta)}${c.skipped ? `, ${c.skipped} skipped` : ''}${c.failed ? `, ${c.failed} failed` : ''}`;
  }

  /** Clears the bar (on a terminal) so the summary starts on a clean line. */
  finish(): void {
    if (!this.opts.quiet && this.tty && this.last > 0) this.stream.write('\r\x1b[K');
  }
}
