/**
 * Rate: bits per pixel and compression ratio against raw 24-bit RGB.
 *
 * bpp = 8·bytes / (W·H), counted on the original image's pixels (never the padded size), as
 * CompressAI does. Compression ratio = raw bits / compressed bits = 24 / bpp for RGB (walloc.md
 * section 4 reports CR this way: WaLLoC 16x at 35.19:1 ⇔ 0.682 bpp).
 *
 * Over a set of images two summaries exist and they differ when sizes vary:
 * - {@link meanBpp}: the arithmetic mean of per-image bpp (CompressAI's `bpp` over a dataset);
 * - {@link pixelWeightedRatio}: total raw bits over total compressed bits, i.e. 24 / (pixel-weighted
 *   mean bpp) — how much a folder of these photos shrinks. This is the "pixel-weighted compression
 *   ratio" of research/walloc.md section 10 (29.1:1 ⇔ 0.82 bpp). A 20 MP photo counts 40 times
 *   more than a 0.5 MP one, which is the point: it costs 40 times more to store.
 */
import { werr } from '../errors.js';

/** One compressed image: its pixel count comes from width × height. */
export interface RateItem {
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
}

function checkItem(bytes: number, width: number, height: number): void {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `compressed size must be ≥ 0 bytes, got ${bytes}` });
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `image size ${width}×${height} is not a positive integer size` });
  }
}

/**
 * Bits per pixel of a compressed image.
 *
 * @example
 * bpp(1024, 128, 64); // 1
 */
export function bpp(bytes: number, width: number, height: number): number {
  checkItem(bytes, width, height);
  return (8 * bytes) / (width * height);
}

/**
 * Compression ratio against raw samples of `rawBitsPerPixel` bits (24 for 8-bit RGB, 8 for grey).
 * `Infinity` for 0 bytes.
 *
 * @example
 * compressionRatio(1024, 128, 64); // 24 (i.e. 24:1)
 */
export function compressionRatio(bytes: number, width: number, height: number, rawBitsPerPixel = 24): number {
  checkItem(bytes, width, height);
  return (rawBitsPerPixel * width * height) / (8 * bytes);
}

/**
 * Compression ratio from bpp: rawBitsPerPixel / bpp.
 *
 * @example
 * ratioFromBpp(0.6171); // ≈ 38.9
 */
export function ratioFromBpp(bitsPerPixel: number, rawBitsPerPixel = 24): number {
  return rawBitsPerPixel / bitsPerPixel;
}

/**
 * Arithmetic mean of per-image bpp (the CompressAI dataset summary).
 *
 * @example
 * meanBpp([{ bytes: 100, width: 10, height: 10 }, { bytes: 300, width: 10, height: 10 }]); // 16
 */
export function meanBpp(items: readonly RateItem[]): number {
  if (items.length === 0) return NaN;
  let s = 0;
  for (const it of items) s += bpp(it.bytes, it.width, it.height);
  return s / items.length;
}

/**
 * Pixel-weighted compression ratio of a set: Σ raw bits / Σ compressed bits
 * (= rawBitsPerPixel / pixel-weighted mean bpp).
 *
 * @example
 * pixelWeightedRatio([
 *   { bytes: 1_000, width: 100, height: 100 },   // 30:1
 *   { bytes: 1_000, width: 10, height: 10 },     // 0.3:1, but only 100 pixels
 * ]); // 30000 / 2000 = 15
 */
export function pixelWeightedRatio(items: readonly RateItem[], rawBitsPerPixel = 24): number {
  if (items.length === 0) return NaN;
  let raw = 0, coded = 0;
  for (const it of items) {
    checkItem(it.bytes, it.width, it.height);
    raw += rawBitsPerPixel * it.width * it.height;
    coded += 8 * it.bytes;
  }
  return raw / coded;
}
