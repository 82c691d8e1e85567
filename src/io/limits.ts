/**
 * Resource limits for decoded media. A header is a few bytes but can promise a frame of many
 * gigabytes; every source (sharp images, y4m, ffmpeg) checks the promised size against these limits
 * before it allocates anything, so a hostile or broken file fails with a coded error instead of
 * exhausting memory.
 *
 * An image frame costs 12 bytes per pixel once decoded (3 channels of float32), and the wavelet
 * stage holds a second copy, so the defaults are set by what a desktop can hold, not by what a
 * format can describe. Each default can be raised per run (`--max-pixels`, `--max-side`) up to a hard
 * cap, which is what a Float32Array in V8 can hold.
 */
import { werr, type WallocError } from '../errors.js';

/**
 * Default largest side: 65535, the largest a JPEG can describe. Long panoramas (60000×2000) are
 * legitimate; libwebp stops at 16383, but packing works on latents that are 4–8× smaller per side.
 */
export const DEFAULT_MAX_SIDE = 65_535;
/** Hard cap on a side: 2^20. No real camera or scanner comes near; larger means a corrupt header. */
export const MAX_SIDE_CAP = 1 << 20;

/**
 * Default most pixels per frame: 16383 × 16383 = 268,402,689, sharp's own `limitInputPixels`
 * default, so every image sharp accepts by default walloc accepts too. That is already 3.2 GB as
 * float RGB; bigger inputs need an explicit `--max-pixels`.
 */
export const DEFAULT_MAX_PIXELS = 16_383 * 16_383;
/**
 * Hard cap: 2^30 pixels. Three float32 channels make 3·2^30 elements, under V8's 2^32 limit on a
 * typed array's length (and 12 GiB of memory).
 */
export const MAX_PIXELS_CAP = 2 ** 30;

/** Limits a source enforces before decoding. Both are optional; {@link resolveImageLimits} fills in defaults. */
export interface ImageLimits {
  /** Largest width or height in pixels (default {@link DEFAULT_MAX_SIDE}, at most {@link MAX_SIDE_CAP}). */
  maxSide?: number;
  /** Most pixels (width × height) in one frame (default {@link DEFAULT_MAX_PIXELS}, at most {@link MAX_PIXELS_CAP}). */
  maxPixels?: number;
}

export type ResolvedImageLimits = Required<ImageLimits>;

/** How a limit is raised: on the command line, through the API, and the most it may be raised to. */
export interface LimitRaise {
  flag: string;
  option: string;
  cap: number;
}

/** The image limits' ways up, named in every limit error (a person may meet it in either place). */
export const RAISE_LIMIT: Readonly<Record<keyof ImageLimits, LimitRaise>> = {
  maxSide: { flag: '--max-side', option: 'limits.maxSide', cap: MAX_SIDE_CAP },
  maxPixels: { flag: '--max-pixels', option: 'limits.maxPixels', cap: MAX_PIXELS_CAP },
};

/**
 * WALLOC_ERR_LIMIT_EXCEEDED: what is too large, and how to raise the limit (flag and API option),
 * or that it is fixed when `raise` is absent.
 *
 * @example
 * throw limitExceeded('width', 100_000, 65_535, RAISE_LIMIT.maxSide, 'a.png');
 * // "width of 100000 exceeds the limit of 65535 (raise it with --max-side, or limits.maxSide in the API, up to 1048576)"
 */
export function limitExceeded(what: string, value: number | string, limit: number, raise?: LimitRaise, source?: string): WallocError {
  const how = raise ? ` (raise it with ${raise.flag}, or ${raise.option} in the API, up to ${raise.cap})` : ' (a fixed limit)';
  return werr('WALLOC_ERR_LIMIT_EXCEEDED', { what, value, limit, ...raise, raise: how, ...(source === undefined ? {} : { source }) });
}

/**
 * A limit override checked against its cap: WALLOC_ERR_INVALID_ARGUMENT, naming the flag and the
 * option, for one out of range.
 */
export function checkLimit(value: number | undefined, fallback: number, raise: LimitRaise): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > raise.cap) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${raise.flag} (${raise.option}) must be an integer from 1 to ${raise.cap}, got ${value}` });
  }
  return value;
}

/**
 * Fills in defaults and checks overrides against the hard caps (a bad override is a usage error).
 *
 * @example
 * resolveImageLimits({ maxPixels: 1e6 }); // { maxSide: 65535, maxPixels: 1000000 }
 * resolveImageLimits({ maxSide: 2 ** 21 }); // throws WALLOC_ERR_INVALID_ARGUMENT
 */
export function resolveImageLimits(limits: ImageLimits = {}): ResolvedImageLimits {
  return {
    maxSide: checkLimit(limits.maxSide, DEFAULT_MAX_SIDE, RAISE_LIMIT.maxSide),
    maxPixels: checkLimit(limits.maxPixels, DEFAULT_MAX_PIXELS, RAISE_LIMIT.maxPixels),
  };
}

/**
 * Checks a frame size announced by a header, before any pixel buffer exists. Throws
 * WALLOC_ERR_UNSUPPORTED_INPUT for a size that cannot be an image (0, negative, fractional) and
 * WALLOC_ERR_LIMIT_EXCEEDED, naming the flag that raises the limit, for one that is too large.
 *
 * @param source names the input in the error message (a path, "stdin", "y4m stream").
 * @example
 * checkImageSize(1920, 1080);                      // fine
 * checkImageSize(100_000, 100_000);                // throws: "width of 100000 exceeds the limit of 65535 (raise it with --max-side, …)"
 * checkImageSize(4000, 3000, { maxPixels: 1e6 });  // throws: pixels per frame … --max-pixels
 * checkImageSize(0, 0, {}, 'a.png');               // throws: "a.png: unsupported input (image size 0×0 …)"
 */
export function checkImageSize(width: number, height: number, limits: ImageLimits = {}, source = 'input'): void {
  const { maxSide, maxPixels } = resolveImageLimits(limits);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: source, reason: `image size ${width}×${height} is not a positive whole number of pixels` });
  }
  for (const [what, value] of [['width', width], ['height', height]] as const) {
    if (value > maxSide) {
      throw limitExceeded(what, value, maxSide, RAISE_LIMIT.maxSide, source);
    }
  }
  // Both factors are ≤ 2^20 here, so the product is exact in a double.
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw limitExceeded(`pixels per frame (${width}×${height})`, pixels, maxPixels, RAISE_LIMIT.maxPixels, source);
  }
}
