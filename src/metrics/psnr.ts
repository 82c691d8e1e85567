/**
 * Mean squared error and PSNR on 8-bit pixels.
 *
 * Convention (CompressAI's `compute_metrics`, and every table in research/walloc.md): both images
 * are taken as 8-bit values (float frames rounded, see pixels.ts), the MSE is the mean over all
 * pixels and all colour channels together, and PSNR = 10·log10(255² / MSE) — identical to PSNR on
 * [0, 1] RGB with peak 1. It is computed per image; a set of images is summarised by the
 * arithmetic mean of the per-image PSNRs (not the PSNR of the mean MSE). Identical images give
 * `Infinity`, as numpy and CompressAI do; {@link meanPsnr} says how it treats them.
 */
import { werr } from '../errors.js';
import { pairSources, type MetricImage, type ReadOptions } from './pixels.js';

/**
 * Mean squared error over all pixels and colour channels, on the 0–255 scale.
 *
 * @example
 * mse({ data: Uint8Array.of(0, 0, 0), width: 1, height: 1, channels: 3 },
 *     { data: Uint8Array.of(3, 0, 0), width: 1, height: 1, channels: 3 }); // 3
 */
export function mse(a: MetricImage, b: MetricImage, options: ReadOptions = {}): number {
  const [sa, sb] = pairSources(a, b, options);
  const { width, height, channels } = sa;
  const ra = new Float64Array(width), rb = new Float64Array(width);
  // Summed per row then added up: keeps float64 rounding far below what PSNR shows.
  let total = 0;
  for (let c = 0; c < channels; c++) {
    const readA = sa.row(c), readB = sb.row(c);
    for (let y = 0; y < height; y++) {
      readA(y, ra); readB(y, rb);
      let s = 0;
      for (let x = 0; x < width; x++) { const d = ra[x]! - rb[x]!; s += d * d; }
      total += s;
    }
  }
  return total / (width * height * channels);
}

/**
 * PSNR in dB from an MSE, for peak value `max` (255 for 8-bit, 1 for [0, 1] data).
 *
 * @example
 * psnrFromMse(65.025); // ≈ 30 dB
 */
export function psnrFromMse(mseValue: number, max = 255): number {
  if (!(mseValue >= 0)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `MSE must be ≥ 0, got ${mseValue}` });
  return mseValue === 0 ? Infinity : 10 * Math.log10((max * max) / mseValue);
}

/**
 * PSNR in dB of `b` against `a` on 8-bit RGB (or grey) pixels; `Infinity` when they are equal.
 *
 * @example
 * const { data, info } = await sharp('a.png').raw().toBuffer({ resolveWithObject: true });
 * const orig = { data, width: info.width, height: info.height, channels: info.channels };
 * psnr(orig, { ...orig, data: decodedRgb }); // e.g. 31.97
 */
export function psnr(a: MetricImage, b: MetricImage, options: ReadOptions = {}): number {
  return psnrFromMse(mse(a, b, options));
}

/**
 * Mean of per-image PSNRs (the CompressAI summary). Infinite values (lossless images) would make
 * the mean infinite, so they are replaced by `capDb` (default 100 dB, far above any lossy codec)
 * and counted in `capped`.
 *
 * @example
 * meanPsnr([30, 32, Infinity]); // { mean: 54, capped: 1 }
 */
export function meanPsnr(values: readonly number[], capDb = 100): { mean: number; capped: number } {
  if (values.length === 0) return { mean: NaN, capped: 0 };
  let sum = 0, capped = 0;
  for (const v of values) {
    if (v === Infinity) { sum += capDb; capped++; } else sum += v;
  }
  return { mean: sum / values.length, capped };
}
