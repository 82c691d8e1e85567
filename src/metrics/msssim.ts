/**
 * MS-SSIM (Wang, Simoncelli & Bovik 2003) as pytorch_msssim's `ms_ssim` computes it — the
 * implementation CompressAI reports as `ms-ssim-rgb` (on pixels rounded to 0–255, data range 255,
 * which equals [0, 1] data with range 1):
 * - 5 scales with weights [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
 * - at each scale the SSIM of ssim.ts (11-tap Gaussian, σ 1.5, valid region, K1 0.01, K2 0.03);
 *   the contrast-structure mean cs of scales 1–4 and the full SSIM of the last scale, each clipped
 *   at 0 (ReLU), combined as Π csᵢ^wᵢ · ssim₅^w₅ per channel, then averaged over R, G, B;
 * - between scales, `avg_pool2d(kernel 2, stride 2, padding = side % 2)`: an odd side is
 *   zero-padded by one on both ends, the first output averages the zero with the first pixel and
 *   the divisor stays 4 (count_include_pad) — reproduced exactly, border darkening included.
 *
 * Small images: pytorch_msssim refuses images whose smaller side is ≤ 160 (the 11-pixel window
 * must fit after 4 halvings). walloc instead uses the largest number of scales L ≤ 5 with
 * smaller side > 10·2^(L−1) (so the window fits at every scale) and renormalises the first L
 * weights to sum to 1; the result says so (`scales` < 5, `reduced: true`). Such values are
 * comparable with each other, not with 5-scale MS-SSIM from the literature. Below 11 pixels there
 * is no scale at all and a coded error is thrown. Checked against a numpy port of pytorch_msssim
 * (test/fixtures-gen/metrics.py) on the fixture photos.
 */
import { werr } from '../errors.js';
import { pairSources, type MetricImage, type ReadOptions, type RowReader } from './pixels.js';
import { ssimPlane } from './ssim.js';

/** pytorch_msssim / Wang 2003 scale weights, finest scale first. */
export const MS_SSIM_WEIGHTS: readonly number[] = Object.freeze([0.0448, 0.2856, 0.3001, 0.2363, 0.1333]);

export interface MsSsimResult {
  /** MS-SSIM in [0, 1] (mean over colour channels). */
  readonly value: number;
  /** Scales used: 5 normally, fewer for small images. */
  readonly scales: number;
  /** The weights used (renormalised when `reduced`). */
  readonly weights: readonly number[];
  /** True when fewer than 5 scales were possible: not comparable with full 5-scale MS-SSIM. */
  readonly reduced: boolean;
}

export interface MsSsimOptions extends ReadOptions {
  /** Use at most this many scales (1–5). Default 5, reduced automatically for small images. */
  readonly maxScales?: number;
}

/**
 * Number of scales MS-SSIM can use for an image whose smaller side is `side`: the largest L ≤
 * `max` with side > 10·2^(L−1); 0 when even one scale does not fit (side < 11).
 *
 * @example
 * msSsimScales(256, 171); // 5
 * msSsimScales(128, 96);  // 4
 */
export function msSsimScales(width: number, height: number, max = 5): number {
  const side = Math.min(width, height);
  let levels = Math.min(max, MS_SSIM_WEIGHTS.length);
  while (levels > 0 && !(side > 10 * 2 ** (levels - 1))) levels--;
  return levels;
}

/** A plane of doubles with its geometry. */
interface Plane { data: Float64Array; width: number; height: number }

/**
 * pytorch's `avg_pool2d(x, 2, padding=(h % 2, w % 2))` (count_include_pad), reading the input
 * row by row so that the first scale never needs a full double copy of the image.
 */
function avgPool2(read: RowReader, width: number, height: number): Plane {
  const ph = height % 2, pw = width % 2;
  const oh = Math.floor((height + 2 * ph - 2) / 2) + 1;
  const ow = Math.floor((width + 2 * pw - 2) / 2) + 1;
  const out = new Float64Array(oh * ow);
  const row = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    read(y, row);
    const oy = (y + ph) >> 1; // padded row index y + ph, pooled in pairs
    if (oy >= oh) continue; // the trailing pad row/pixel is never inside a window (floor mode)
    const base = oy * ow;
    for (let x = 0; x < width; x++) {
      const ox = (x + pw) >> 1;
      if (ox < ow) out[base + ox]! += row[x]!;
    }
  }
  for (let i = 0; i < out.length; i++) out[i]! *= 0.25;
  return { data: out, width: ow, height: oh };
}

function planeReader(p: Plane): RowReader {
  return (y, out) => out.set(p.data.subarray(y * p.width, (y + 1) * p.width));
}

/**
 * MS-SSIM of `b` against `a` on 8-bit pixels (see the module comment for conventions and the
 * small-image rule).
 *
 * @example
 * const r = msSsim(orig, decoded);
 * console.log(r.value, r.scales, r.reduced); // 0.9763 4 true  (for a 128×96 crop)
 */
export function msSsim(a: MetricImage, b: MetricImage, options: MsSsimOptions = {}): MsSsimResult {
  const [sa, sb] = pairSources(a, b, options);
  const maxScales = options.maxScales ?? 5;
  if (!Number.isInteger(maxScales) || maxScales < 1 || maxScales > 5) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `MS-SSIM maxScales must be an integer in 1..5, got ${maxScales}` });
  }
  const levels = msSsimScales(sa.width, sa.height, maxScales);
  if (levels === 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `MS-SSIM needs images of at least 11×11 pixels, got ${sa.width}×${sa.height}` });
  }
  const raw = MS_SSIM_WEIGHTS.slice(0, levels);
  const total = raw.reduce((s, w) => s + w, 0);
  const weights = levels === 5 ? raw : raw.map((w) => w / total);
  let sum = 0;
  for (let c = 0; c < sa.channels; c++) {
    let readA = sa.row(c), readB = sb.row(c);
    let w = sa.width, h = sa.height;
    let product = 1;
    for (let l = 0; l < levels; l++) {
      const { ssim, cs } = ssimPlane(readA, readB, w, h, { dataRange: 255 });
      if (l === levels - 1) { product *= Math.max(ssim, 0) ** weights[l]!; break; }
      product *= Math.max(cs, 0) ** weights[l]!;
      const pa = avgPool2(readA, w, h), pb = avgPool2(readB, w, h);
      readA = planeReader(pa); readB = planeReader(pb);
      w = pa.width; h = pa.height;
    }
    sum += product;
  }
  return { value: sum / sa.channels, scales: levels, weights: Object.freeze(weights), reduced: levels < 5 };
}

/**
 * MS-SSIM in decibels, −10·log10(1 − value), the way CompressAI plots it (`Infinity` at 1).
 *
 * @example
 * msSsimDb(0.99); // 20
 */
export function msSsimDb(value: number): number {
  return -10 * Math.log10(1 - value);
}
