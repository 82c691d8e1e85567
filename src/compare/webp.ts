/**
 * Lossy WebP at a given file size: the baseline walloc is compared with (`walloc eval --compare
 * webp`, the README table). For each image we find the libwebp quality (through sharp) whose file
 * is as large as walloc's but no larger, so WebP never gets more bytes than walloc spent.
 *
 * Why a search and not a formula: WebP's size grows with quality only roughly. Sizes can step
 * back down between neighbouring qualities (libwebp changes its filter and partition choices), so
 * a plain bisection may stop next to, not at, the best quality. We bisect for the boundary under
 * the assumption of monotonicity, then try every quality within ±{@link NEIGHBOURHOOD} of it and
 * pick the best of everything encoded. About 12 encodes per image.
 *
 * Settings: `effort` 4 (sharp's default; research/walloc.md section 10 used method 6, which is
 * 2–3× slower for ~1–3 % fewer bytes), `smartSubsample` off (sharp's default: plain 4:2:0 chroma).
 */
import sharp from 'sharp';
import { werr } from '../errors.js';
import { bpp as bitsPerPixel } from '../metrics/rate.js';
import { psnr as psnrOf } from '../metrics/psnr.js';
import { ssim as ssimOf } from '../metrics/ssim.js';
import { msSsim as msSsimOf, msSsimScales, type MsSsimResult } from '../metrics/msssim.js';
import type { PixelImage } from '../metrics/pixels.js';
import { measureThroughput, timed, type ThroughputOptions } from '../metrics/throughput.js';

/** libwebp's limit on either side. */
export const WEBP_MAX_SIDE = 16383;
/** Qualities tried on each side of the bisection's answer (sizes are not strictly monotonic). */
export const NEIGHBOURHOOD = 2;

export interface WebpEncodeOptions {
  /** libwebp method 0 (fast) … 6 (small). Default 4. */
  readonly effort?: number;
  /** Sharper chroma subsampling (slower). Default false. */
  readonly smartSubsample?: boolean;
}

export interface WebpAtSizeOptions extends WebpEncodeOptions {
  /** Lowest and highest quality searched (integers, default 1 and 100). */
  readonly minQuality?: number;
  readonly maxQuality?: number;
  /**
   * `under` (default): the largest file ≤ target, or the smallest file when even the lowest
   * quality is over. `closest`: the smallest |bytes − target|, either side.
   */
  readonly prefer?: 'under' | 'closest';
  /** Compute PSNR, SSIM and MS-SSIM of the result (default true). */
  readonly metrics?: boolean;
}

export interface WebpAtSizeResult {
  /** The chosen sharp/libwebp quality (1–100). */
  readonly quality: number;
  /** Size of the chosen WebP file in bytes, and whether it is within the target. */
  readonly bytes: number;
  readonly underTarget: boolean;
  readonly targetBytes: number;
  /** The WebP file. */
  readonly webp: Buffer;
  /** The decoded image, interleaved 8-bit RGB (W·H·3). */
  readonly decoded: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** One timed encode at the chosen quality, after the search warmed sharp up. */
  readonly encodeMs: number;
  /** One timed decode to raw RGB. */
  readonly decodeMs: number;
  readonly bpp: number;
  /** Metrics of `decoded` against the input (NaN / null when `metrics: false`). */
  readonly psnr: number;
  readonly ssim: number;
  /** null when `metrics: false` or the image is under 11 pixels on a side. */
  readonly msSsim: MsSsimResult | null;
  /** Every quality tried and its size, in the order tried (for reports and tests). */
  readonly tried: ReadonlyArray<{ quality: number; bytes: number }>;
}

function checkRgb(rgb: Uint8Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `image size ${width}×${height} is not a positive integer size` });
  }
  if (width > WEBP_MAX_SIDE || height > WEBP_MAX_SIDE) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `WebP images are limited to ${WEBP_MAX_SIDE} pixels a side, got ${width}×${height}` });
  }
  if (rgb.length !== width * height * 3) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${width}×${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}` });
  }
}

function checkQuality(q: number): void {
  if (!Number.isInteger(q) || q < 1 || q > 100) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `WebP quality must be an integer 1–100, got ${q}` });
}

/**
 * Encodes interleaved 8-bit RGB as lossy WebP.
 *
 * @example
 * const file = await encodeWebp(rgb, 640, 480, 75);
 */
export async function encodeWebp(rgb: Uint8Array, width: number, height: number, quality: number, options: WebpEncodeOptions = {}): Promise<Buffer> {
  checkRgb(rgb, width, height);
  checkQuality(quality);
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .webp({ quality, effort: options.effort ?? 4, smartSubsample: options.smartSubsample ?? false })
    .toBuffer();
}

/**
 * Decodes a WebP file to interleaved 8-bit RGB.
 *
 * @example
 * const { data, width, height } = await decodeWebp(file);
 */
export async function decodeWebp(file: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Finds the lossy WebP quality whose file size best matches `targetBytes` (by default: the
 * largest file not over it), and reports size, timings and quality metrics of that file.
 *
 * @example
 * const { data, info } = await sharp('photo.png').removeAlpha().raw().toBuffer({ resolveWithObject: true });
 * const w = await webpAtSize(data, info.width, info.height, wlcFile.length);
 * console.log(`WebP q${w.quality}: ${w.bytes} B, ${w.psnr.toFixed(2)} dB`);
 */
export async function webpAtSize(rgb: Uint8Array, width: number, height: number, targetBytes: number, options: WebpAtSizeOptions = {}): Promise<WebpAtSizeResult> {
  checkRgb(rgb, width, height);
  if (!(targetBytes > 0) || !Number.isFinite(targetBytes)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `target size must be a positive number of bytes, got ${targetBytes}` });
  }
  const qMin = options.minQuality ?? 1, qMax = options.maxQuality ?? 100;
  checkQuality(qMin); checkQuality(qMax);
  if (qMin > qMax) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `minQuality ${qMin} exceeds maxQuality ${qMax}` });

  const files = new Map<number, Buffer>();
  const tried: Array<{ quality: number; bytes: number }> = [];
  const sizeAt = async (q: number): Promise<number> => {
    let f = files.get(q);
    if (!f) {
      f = await encodeWebp(rgb, width, height, q, options);
      files.set(q, f);
      tried.push({ quality: q, bytes: f.length });
    }
    return f.length;
  };

  // Bisection with virtual ends: size(qMin − 1) = −∞ ≤ target < size(qMax + 1) = +∞. The loop
  // keeps size(lo) ≤ target < size(hi), so it never spends encodes on the two ends up front.
  let lo = qMin - 1, hi = qMax + 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((await sizeAt(mid)) <= targetBytes) lo = mid; else hi = mid;
  }
  // Sizes wiggle: look around the boundary too.
  const centre = Math.max(qMin, lo);
  for (let q = Math.max(qMin, centre - NEIGHBOURHOOD); q <= Math.min(qMax, centre + NEIGHBOURHOOD + 1); q++) await sizeAt(q);

  const quality = pick(tried, targetBytes, options.prefer ?? 'under');
  const webp = files.get(quality)!;

  // Timings apart from the search, so that the first call's libvips start-up is not counted.
  const enc = await timed(() => encodeWebp(rgb, width, height, quality, options));
  const dec = await timed(() => decodeWebp(webp));
  const decoded = dec.result.data;

  const withMetrics = options.metrics ?? true;
  const orig: PixelImage = { data: rgb, width, height, channels: 3 };
  const back: PixelImage = { data: decoded, width, height, channels: 3 };
  const small = Math.min(width, height) < 11;
  return {
    quality, bytes: webp.length, underTarget: webp.length <= targetBytes, targetBytes, webp, decoded, width, height,
    encodeMs: enc.ms, decodeMs: dec.ms,
    bpp: bitsPerPixel(webp.length, width, height),
    psnr: withMetrics ? psnrOf(orig, back) : NaN,
    ssim: withMetrics && !small ? ssimOf(orig, back) : NaN,
    msSsim: withMetrics && msSsimScales(width, height) > 0 ? msSsimOf(orig, back) : null,
    tried,
  };
}

/** The best quality among those tried; ties on size go to the higher quality. */
function pick(tried: ReadonlyArray<{ quality: number; bytes: number }>, target: number, prefer: 'under' | 'closest'): number {
  let best = tried[0]!;
  const better = (a: { quality: number; bytes: number }, b: { quality: number; bytes: number }): boolean => {
    if (prefer === 'closest') {
      const da = Math.abs(a.bytes - target), db = Math.abs(b.bytes - target);
      return da < db || (da === db && a.quality > b.quality);
    }
    const ua = a.bytes <= target, ub = b.bytes <= target;
    if (ua !== ub) return ua;
    if (ua) return a.bytes > b.bytes || (a.bytes === b.bytes && a.quality > b.quality);
    return a.bytes < b.bytes || (a.bytes === b.bytes && a.quality > b.quality);
  };
  for (const t of tried) if (better(t, best)) best = t;
  return best.quality;
}

export interface WebpThroughput {
  /** Megapixels per second at the median time. */
  readonly mps: number;
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  /** Size of the encoded file (bytes). */
  readonly bytes: number;
}

/**
 * Lossy WebP encode throughput (raw RGB in memory → WebP bytes) at one quality: the number
 * walloc-encode's throughput is held against in the benchmark.
 *
 * @example
 * const t = await webpEncodeThroughput(rgb, 1920, 1080, 75, { repeats: 5 });
 * console.log(`${t.mps.toFixed(1)} MP/s`);
 */
export async function webpEncodeThroughput(
  rgb: Uint8Array, width: number, height: number, quality: number, options: WebpEncodeOptions & ThroughputOptions = {},
): Promise<WebpThroughput> {
  checkRgb(rgb, width, height);
  checkQuality(quality);
  const t = await measureThroughput(() => encodeWebp(rgb, width, height, quality, options), width * height, options);
  return { mps: t.mps, medianMs: t.medianMs, runsMs: t.runsMs, bytes: t.result.length };
}

/**
 * Lossy WebP decode throughput (WebP bytes → raw RGB).
 *
 * @example
 * const t = await webpDecodeThroughput(file, { repeats: 5 });
 */
export async function webpDecodeThroughput(file: Uint8Array, options: ThroughputOptions = {}): Promise<WebpThroughput> {
  const meta = await sharp(file).metadata();
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  const t = await measureThroughput(() => decodeWebp(file), pixels, options);
  return { mps: t.mps, medianMs: t.medianMs, runsMs: t.runsMs, bytes: file.length };
}
