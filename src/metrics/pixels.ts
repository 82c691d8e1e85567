/**
 * What the image metrics accept, and how they read it.
 *
 * Every metric in walloc is computed on 8-bit pixel values (0–255), the image a user actually
 * gets, as CompressAI's `compute_metrics` does (it rounds both images to 8 bits before PSNR and
 * MS-SSIM). Two inputs are accepted:
 * - a {@link PixelImage}: 8-bit samples, interleaved (HWC, what sharp's `raw()` gives) or planar
 *   (CHW), with 1, 3 or 4 channels (a 4th channel, alpha, is ignored);
 * - an `image` {@link ImageFrame} (planar CHW Float32 in [-0.5, 0.5]): each value v becomes
 *   (v + 0.5)·255, rounded half to even and clamped to 0–255 — the same mapping `imageToRgbBytes`
 *   uses when a decoder writes a PNG — unless `round: false` asks for the unrounded values.
 *
 * The metrics never copy a whole image into doubles: they read it one row of one channel at a time
 * through a {@link RowReader}, so memory stays O(width) however large the photo.
 */
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';

/** 8-bit samples with their geometry. */
export interface PixelImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA; alpha is ignored by every metric). */
  readonly channels: number;
  /** `interleaved` (HWC, the default, as sharp's raw output) or `planar` (CHW). */
  readonly layout?: 'interleaved' | 'planar';
}

/** Anything a metric accepts. */
export type MetricImage = PixelImage | ImageFrame;

/** Options shared by the metrics about how a float frame is read. */
export interface ReadOptions {
  /**
   * For float frames only: round to 8 bits first (default true, the CompressAI convention: the
   * metric describes the image a decoder writes). `false` measures the unrounded (v + 0.5)·255.
   */
  readonly round?: boolean;
}

/** Fills `out[0..width)` with row `y` of one channel, as values on the 0–255 scale. */
export type RowReader = (y: number, out: Float64Array) => void;

/** A normalised view of a metric input: geometry plus one row reader per colour channel. */
export interface PixelSource {
  readonly width: number;
  readonly height: number;
  /** Colour channels the metrics use: 1 or 3 (alpha dropped). */
  readonly channels: 1 | 3;
  /** Reader for colour channel `c` (0-based). */
  row(c: number): RowReader;
}

function isFrame(img: MetricImage): img is ImageFrame {
  return (img as ImageFrame).kind !== undefined;
}

/**
 * Wraps a metric input as a {@link PixelSource}, checking that its data matches its geometry.
 *
 * @example
 * const src = pixelSource({ data: rgb, width: 4, height: 2, channels: 3 });
 * const row = new Float64Array(4);
 * src.row(0)(1, row); // red values of the second row
 */
export function pixelSource(img: MetricImage, options: ReadOptions = {}): PixelSource {
  if (isFrame(img)) return frameSource(img, options.round ?? true);
  const { data, width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `image size ${width}×${height} is not a positive integer size` });
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `images must have 1, 3 or 4 channels, got ${channels}` });
  }
  if (data.length !== width * height * channels) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${width}×${height}×${channels} needs ${width * height * channels} samples, got ${data.length}` });
  }
  const planar = img.layout === 'planar';
  // Strides in samples: one step along x, one row, one channel.
  const xs = planar ? 1 : channels;
  const ys = planar ? width : width * channels;
  const cs = planar ? width * height : 1;
  return {
    width, height, channels: channels === 1 ? 1 : 3,
    row: (c) => (y, out) => {
      for (let x = 0, i = c * cs + y * ys; x < width; x++, i += xs) out[x] = data[i]!;
    },
  };
}

function frameSource(frame: ImageFrame, round: boolean): PixelSource {
  if (frame.kind !== 'image' || frame.shape.length !== 3) {
    throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'metrics', expected: 'image', actual: `${frame.kind} [${frame.shape.join(', ')}]` });
  }
  const [c, height, width] = frame.shape as [number, number, number];
  if (c !== 1 && c !== 3 && c !== 4) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `image frames must have 1, 3 or 4 channels, got ${c}` });
  }
  const data = frame.data;
  const plane = width * height;
  // A 1-element clamped array rounds half to even and clamps on store, exactly as the PNG writer.
  const q = new Uint8ClampedArray(1);
  return {
    width, height, channels: c === 1 ? 1 : 3,
    row: (ch) => (y, out) => {
      const base = ch * plane + y * width;
      if (round) {
        for (let x = 0; x < width; x++) { q[0] = (data[base + x]! + 0.5) * 255; out[x] = q[0]; }
      } else {
        for (let x = 0; x < width; x++) out[x] = (data[base + x]! + 0.5) * 255;
      }
    },
  };
}

/**
 * Wraps two inputs and checks that they can be compared (same width, height and colour channels).
 *
 * @example
 * const [a, b] = pairSources(original, decoded);
 */
export function pairSources(a: MetricImage, b: MetricImage, options: ReadOptions = {}): [PixelSource, PixelSource] {
  const sa = pixelSource(a, options);
  const sb = pixelSource(b, options);
  if (sa.width !== sb.width || sa.height !== sb.height || sa.channels !== sb.channels) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', {
      reason: `cannot compare a ${sa.width}×${sa.height}×${sa.channels} image with a ${sb.width}×${sb.height}×${sb.channels} one`,
    });
  }
  return [sa, sb];
}

/** ITU-R BT.601 luma weights (as MATLAB's rgb2gray, used by Wang et al.'s reference SSIM code). */
export const LUMA_601 = [0.299, 0.587, 0.114] as const;

/**
 * A reader of BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B, unrounded, on the 0–255 scale; a
 * 1-channel source is returned as is.
 *
 * @example
 * const y = lumaReader(pixelSource(img));
 */
export function lumaReader(src: PixelSource): RowReader {
  if (src.channels === 1) return src.row(0);
  const r = src.row(0), g = src.row(1), b = src.row(2);
  const tg = new Float64Array(src.width), tb = new Float64Array(src.width);
  const [wr, wg, wb] = LUMA_601;
  return (y, out) => {
    r(y, out); g(y, tg); b(y, tb);
    for (let x = 0; x < out.length; x++) out[x] = wr * out[x]! + wg * tg[x]! + wb * tb[x]!;
  };
}

/**
 * Converts an image frame to planar 8-bit samples (CHW), with the rounding the metrics use.
 *
 * @example
 * const planes = frameToPlanar8(frame); // Uint8Array of C·H·W
 * psnr({ data: planes, width, height, channels: 3, layout: 'planar' }, other);
 */
export function frameToPlanar8(frame: ImageFrame): Uint8Array {
  const out = new Uint8ClampedArray(frame.data.length);
  const src = frame.data;
  for (let i = 0; i < src.length; i++) out[i] = (src[i]! + 0.5) * 255;
  return new Uint8Array(out.buffer);
}
