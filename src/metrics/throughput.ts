/**
 * Throughput helpers: megapixels per second and careful timing.
 *
 * MP/s = (W·H / 10⁶) / seconds, the unit of research/walloc.md's tables (pixels, not samples: an
 * RGB megapixel is 3 M samples). Timings use `performance.now()` (monotonic, sub-millisecond) and
 * report the median of repeats, because on a shared 2-core machine the mean is dragged by the one
 * run that met a garbage collection or another process.
 */

/**
 * Megapixels per second for `pixels` processed in `ms` milliseconds.
 *
 * @example
 * megapixelsPerSecond(1920 * 1080, 100); // ≈ 20.7
 */
export function megapixelsPerSecond(pixels: number, ms: number): number {
  return ms > 0 ? pixels / 1e6 / (ms / 1000) : Infinity;
}

/**
 * Runs `fn` once and returns its result with the elapsed milliseconds.
 *
 * @example
 * const { result, ms } = await timed(() => sharp(buf).webp().toBuffer());
 */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - t0 };
}

/**
 * Median of a list (NaN when empty).
 *
 * @example
 * median([3, 1, 2, 100]); // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface ThroughputOptions {
  /** Timed runs (default 3); the median is reported. */
  readonly repeats?: number;
  /** Untimed runs first, to warm JIT and caches (default 1). */
  readonly warmup?: number;
}

export interface Throughput<T> {
  /** Megapixels per second at the median time. */
  readonly mps: number;
  /** Median milliseconds per run. */
  readonly medianMs: number;
  /** Every timed run, in order. */
  readonly runsMs: readonly number[];
  /** The last run's result (e.g. the encoded bytes). */
  readonly result: T;
}

/**
 * Times `fn` (which processes `pixels` pixels per call): warm-up runs, then `repeats` timed runs.
 *
 * @example
 * const t = await measureThroughput(() => encode(frame), 1920 * 1080, { repeats: 5 });
 * console.log(`${t.mps.toFixed(1)} MP/s`);
 */
export async function measureThroughput<T>(fn: () => T | Promise<T>, pixels: number, options: ThroughputOptions = {}): Promise<Throughput<T>> {
  const repeats = Math.max(1, options.repeats ?? 3);
  const warmup = Math.max(0, options.warmup ?? 1);
  let result: T | undefined;
  for (let i = 0; i < warmup; i++) result = await fn();
  const runsMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = await timed(fn);
    runsMs.push(r.ms);
    result = r.result;
  }
  const medianMs = median(runsMs);
  return { mps: megapixelsPerSecond(pixels, medianMs), medianMs, runsMs, result: result as T };
}
