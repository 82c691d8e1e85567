/**
 * SSIM exactly as Wang, Bovik, Sheikh & Simoncelli (2004) define it, and as scikit-image computes
 * it with `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=255)`:
 * - local statistics under an 11×11 Gaussian window, σ = 1.5, weights exp(−d²/2σ²) normalised;
 * - population (not sample) variances, C1 = (0.01·255)², C2 = (0.03·255)²;
 * - the SSIM map is averaged over the "valid" region only, i.e. the 5-pixel border strip where the
 *   window would leave the image is dropped (skimage filters with reflection and then crops that
 *   strip, which gives the same numbers; pytorch_msssim convolves without padding, likewise);
 * - RGB: SSIM per channel, then their mean (skimage's `channel_axis`); grey: SSIM of BT.601 luma.
 * Checked against scikit-image 0.19.3 on the fixture photos (fixtures/metrics/reference.json).
 *
 * The filter is separable and streamed: each input row is filtered horizontally into a ring of
 * 11 rows per statistic (μx, μy, E[x²], E[y²], E[xy]), and each output row is the vertical
 * filter over that ring; both passes fold the symmetric window's tap pairs. Memory is 5·11·width doubles, nothing is allocated per pixel, and the
 * same pass yields the contrast-structure mean (cs) that MS-SSIM needs.
 */
import { werr } from '../errors.js';
import { lumaReader, pairSources, type MetricImage, type ReadOptions, type RowReader } from './pixels.js';

/** Constants of the standard SSIM; all overridable for experiments, never needed in walloc. */
export interface SsimConstants {
  /** Luminance constant, C1 = (k1·L)². Default 0.01. */
  readonly k1?: number;
  /** Contrast constant, C2 = (k2·L)². Default 0.03. */
  readonly k2?: number;
  /** Gaussian window side (odd). Default 11. */
  readonly windowSize?: number;
  /** Gaussian σ in pixels. Default 1.5. */
  readonly sigma?: number;
  /** Dynamic range L of the values. Default 255 (the metrics read 0–255 values). */
  readonly dataRange?: number;
}

/** Result of one plane: the mean SSIM and the mean contrast-structure term over the valid region. */
export interface PlaneSsim {
  readonly ssim: number;
  readonly cs: number;
}

/**
 * The normalised 1-D Gaussian window: w[k] ∝ exp(−(k − ⌊n/2⌋)² / 2σ²), summing to 1.
 *
 * @example
 * gaussianWindow(11, 1.5)[5]; // ≈ 0.2660 (the centre tap)
 */
export function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 !== 1) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `SSIM window size must be a positive odd integer, got ${size}` });
  }
  if (!(sigma > 0)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `SSIM σ must be > 0, got ${sigma}` });
  const w = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let k = 0; k < size; k++) { w[k] = Math.exp(-((k - half) ** 2) / (2 * sigma * sigma)); sum += w[k]!; }
  for (let k = 0; k < size; k++) w[k]! /= sum;
  return w;
}

/**
 * SSIM and CS means of two single-channel planes read row by row (values on the `dataRange`
 * scale). Throws a coded error when a side is shorter than the window, as scikit-image does.
 *
 * @example
 * const a = new Float64Array(16 * 16).map((_, i) => i % 251);
 * const read = (p: Float64Array) => (y: number, out: Float64Array) => out.set(p.subarray(y * 16, y * 16 + 16));
 * ssimPlane(read(a), read(a), 16, 16); // { ssim: 1, cs: 1 }
 */
export function ssimPlane(readA: RowReader, readB: RowReader, width: number, height: number, constants: SsimConstants = {}): PlaneSsim {
  const n = constants.windowSize ?? 11;
  const win = gaussianWindow(n, constants.sigma ?? 1.5);
  const L = constants.dataRange ?? 255;
  const C1 = ((constants.k1 ?? 0.01) * L) ** 2;
  const C2 = ((constants.k2 ?? 0.03) * L) ** 2;
  const ow = width - n + 1, oh = height - n + 1;
  if (ow < 1 || oh < 1) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `SSIM needs images of at least ${n}×${n} pixels (the window size), got ${width}×${height}` });
  }
  const r = (n - 1) / 2;
  const ra = new Float64Array(width), rb = new Float64Array(width);
  // Per-row products, so the horizontal pass is five plain filters.
  const raa = new Float64Array(width), rbb = new Float64Array(width), rab = new Float64Array(width);
  // Ring of n horizontally filtered rows per statistic; row y lives in slot y % n.
  const hx = new Float64Array(n * ow), hy = new Float64Array(n * ow);
  const hxx = new Float64Array(n * ow), hyy = new Float64Array(n * ow), hxy = new Float64Array(n * ow);
  // Offsets of the ring rows under each vertical tap, for the current output row.
  const base = new Int32Array(n);
  const gc = win[r]!;
  let sumS = 0, sumCs = 0;
  for (let y = 0; y < height; y++) {
    readA(y, ra); readB(y, rb);
    for (let x = 0; x < width; x++) { const a = ra[x]!, b = rb[x]!; raa[x] = a * a; rbb[x] = b * b; rab[x] = a * b; }
    const off = (y % n) * ow;
    // The window is symmetric: fold tap pairs (k, n−1−k) to halve the multiplications.
    for (let j = 0; j < ow; j++) {
      const c = j + r;
      let sx = gc * ra[c]!, sy = gc * rb[c]!, sxx = gc * raa[c]!, syy = gc * rbb[c]!, sxy = gc * rab[c]!;
      for (let k = 0; k < r; k++) {
        const g = win[k]!, p = j + k, q = j + n - 1 - k;
        sx += g * (ra[p]! + ra[q]!); sy += g * (rb[p]! + rb[q]!);
        sxx += g * (raa[p]! + raa[q]!); syy += g * (rbb[p]! + rbb[q]!); sxy += g * (rab[p]! + rab[q]!);
      }
      hx[off + j] = sx; hy[off + j] = sy; hxx[off + j] = sxx; hyy[off + j] = syy; hxy[off + j] = sxy;
    }
    if (y < n - 1) continue;
    // Output row y − r: the window's rows y−n+1 … y, tap k in ring slot (y−n+1+k) % n.
    for (let k = 0; k < n; k++) base[k] = ((y - n + 1 + k) % n) * ow;
    const bc = base[r]!;
    let rowS = 0, rowCs = 0;
    for (let j = 0; j < ow; j++) {
      let ux = gc * hx[bc + j]!, uy = gc * hy[bc + j]!;
      let exx = gc * hxx[bc + j]!, eyy = gc * hyy[bc + j]!, exy = gc * hxy[bc + j]!;
      for (let k = 0; k < r; k++) {
        const g = win[k]!, p = base[k]! + j, q = base[n - 1 - k]! + j;
        ux += g * (hx[p]! + hx[q]!); uy += g * (hy[p]! + hy[q]!);
        exx += g * (hxx[p]! + hxx[q]!); eyy += g * (hyy[p]! + hyy[q]!); exy += g * (hxy[p]! + hxy[q]!);
      }
      const uxx = ux * ux, uyy = uy * uy, uxy = ux * uy;
      const cs = (2 * (exy - uxy) + C2) / ((exx - uxx) + (eyy - uyy) + C2);
      rowS += ((2 * uxy + C1) / (uxx + uyy + C1)) * cs;
      rowCs += cs;
    }
    sumS += rowS; sumCs += rowCs;
  }
  const count = ow * oh;
  return { ssim: sumS / count, cs: sumCs / count };
}

/** How colour images are reduced to one SSIM. */
export type SsimMode = 'rgb' | 'luma';

export interface SsimOptions extends ReadOptions, Omit<SsimConstants, 'dataRange'> {
  /**
   * `rgb` (default): mean of the per-channel SSIMs (skimage's `channel_axis=-1`, and what
   * CompressAI-style tables call SSIM on RGB). `luma`: SSIM of BT.601 luma (unrounded), the
   * greyscale SSIM of Wang et al.'s MATLAB code after `rgb2gray`. Grey images give the same either way.
   */
  readonly mode?: SsimMode;
}

/**
 * Per-channel SSIM (one value per colour channel; alpha ignored).
 *
 * @example
 * ssimPerChannel(orig, decoded); // [0.95, 0.96, 0.93]
 */
export function ssimPerChannel(a: MetricImage, b: MetricImage, options: SsimOptions = {}): number[] {
  const [sa, sb] = pairSources(a, b, options);
  const out: number[] = [];
  for (let c = 0; c < sa.channels; c++) out.push(ssimPlane(sa.row(c), sb.row(c), sa.width, sa.height, options).ssim);
  return out;
}

/**
 * SSIM of `b` against `a` (symmetric), on 8-bit pixels with data range 255.
 *
 * @example
 * const orig = { data: rgb, width: 128, height: 96, channels: 3 };
 * ssim(orig, { ...orig, data: decoded });                   // mean of R, G, B SSIM
 * ssim(orig, { ...orig, data: decoded }, { mode: 'luma' }); // SSIM of BT.601 luma
 */
export function ssim(a: MetricImage, b: MetricImage, options: SsimOptions = {}): number {
  if ((options.mode ?? 'rgb') === 'luma') {
    const [sa, sb] = pairSources(a, b, options);
    return ssimPlane(lumaReader(sa), lumaReader(sb), sa.width, sa.height, options).ssim;
  }
  const per = ssimPerChannel(a, b, options);
  return per.reduce((s, v) => s + v, 0) / per.length;
}
