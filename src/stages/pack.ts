/**
 * pack / unpack: int8 latents ⇄ one lossless WebP (or PNG) image, WaLLoC's entropy coder
 * (research/walloc.md section 4). Lossless means bit-exact: `unpack(pack(x))` returns exactly x,
 * always, and the tests check it for every shape and format.
 *
 * 1. Bytes. Each b-bit value q in ±(2^(b−1) − 1) becomes the byte q + 2^(b−1) (1..255 for 8 bits);
 *    zero is 2^(b−1), so padding (value 0) is a flat mid-grey that costs almost nothing.
 * 2. A 2-D grid per channel. [N, H, W] is used as is. [N, ℓ] (audio) is cut row-major into rows
 *    of width R (default 256, WaLLoC's choice; ℓ is padded up to a multiple of R with zeros).
 *    [N, D, H, W] (volumes) stacks the D depth slices top to bottom, i.e. the grid is the
 *    row-major [D·H, W] reshape; any higher rank flattens the same way.
 * 3. Tiles and planes. The N channels (padded with zero channels up to P·n²) are tiled into P
 *    colour planes (P = 1 grey, 3 RGB, 4 RGBA) of n×n tiles each, exactly as WaLLoC's
 *    `concatenate_channels`: channel k = c·n² + i·n + j goes to plane c, tile row i, tile column j
 *    (c slowest, tiles row-major). P and n are chosen to waste the fewest padding channels
 *    (ties prefer RGB, then RGBA, then grey): 12 → RGB 2×2, 48 → RGB 4×4, 108 → RGB 6×6,
 *    16 → RGBA 2×2, 8 → grey 3×3 (one zero tile). Either can be forced by the options.
 * 4. Encode with sharp. WebP is always `{lossless: true, exact: true}` (without `exact`, libwebp
 *    rewrites RGB under alpha = 0, and planes of 4 make that a latent value); PNG only ever gets
 *    `compressionLevel` and `adaptiveFiltering`, because any of `effort`/`quality`/`colours` turns
 *    on lossy palette quantization (research/deps.md section 3).
 *
 * WebP cannot exceed 16383 px on a side. Such a frame is packed as PNG instead, and the packed
 * frame's meta says so: failing frame 1000 of a stream over one tall volume would be worse than a
 * few percent of size, and the result is bit-exact either way.
 *
 * The packed frame carries the WebP/PNG bytes; `meta.extra.pack` ({@link PackInfo}) holds what the
 * image itself cannot: the latent shape, bits, planes, tiles, row width and format.
 */
import sharp, { type OutputInfo } from 'sharp';
import { werr } from '../errors.js';
import { checkLimit, limitExceeded, type LimitRaise } from '../io/limits.js';
import { expectKind, makeFrame, sizeOf, type Frame, type FrameMeta, type LatentFrame } from '../frame.js';
import { checkBits } from './companding.js';

export type PackFormat = 'webp' | 'png';
export type PlaneCount = 1 | 3 | 4;

/** A packed frame: the encoded image bytes. */
export type PackedFrame = Frame<'packed', Uint8Array>;

/** libwebp's limit on either side of an image. */
export const WEBP_MAX_SIDE = 16383;
/** Default row width for 1-D latents, as WaLLoC's audio evaluation. */
export const DEFAULT_ROW_WIDTH = 256;
/**
 * Default WebP effort (sharp's 0..6). Measured on the latents of the 28 held-out photos: effort 1
 * packs 5.8× faster than effort 4 for 3.5% more bytes (effort 2: 3.1× for 2.2%; effort 0: 20×
 * for 22%; effort 6: no smaller than 4). Packing at effort 4 alone took as long as sharp's whole
 * lossy WebP encode of the photo, so effort 1 is what lets encoding keep up with WebP.
 */
export const DEFAULT_WEBP_EFFORT = 1;
/** Default PNG zlib level (0..9): level 9 was only 5% smaller than 6 and 5× slower (same bench). */
export const DEFAULT_PNG_LEVEL = 6;
/**
 * Default most bytes one packed frame may decode to (image width × height × planes, which is at
 * least the number of latent values): 2^26 = 67,108,864. A 16383×16383 RGB photo at 16× needs
 * 12 × 2048 × 2048 = 50 M, so every image the sources accept by default unpacks by default. The
 * check runs on `PackInfo` before sharp decodes anything, so a 100 KB PNG of 32000×32000 grey
 * pixels (a decompression bomb) costs nothing. Raise it per call (`maxValues`, `--max-latent`).
 */
export const DEFAULT_MAX_LATENT_VALUES = 2 ** 26;
/** Hard cap for {@link DEFAULT_MAX_LATENT_VALUES} overrides: 2^30 bytes (1 GiB of pixels). */
export const MAX_LATENT_VALUES_CAP = 2 ** 30;

/** Resource limits of {@link unpackLatents}. */
export interface UnpackOptions {
  /** Most bytes the packed image may decode to (default {@link DEFAULT_MAX_LATENT_VALUES}, at most {@link MAX_LATENT_VALUES_CAP}). */
  maxValues?: number;
}

/** How the unpack limit is raised (`maxValues` of unpackLatents is the same limit, per call). */
const RAISE_LATENT: LimitRaise = { flag: '--max-latent', option: 'limits.maxLatentValues', cap: MAX_LATENT_VALUES_CAP };

/** Checks an unpack limit override against the hard cap (a bad override is a usage error). */
export function resolveMaxLatentValues(maxValues: number | undefined): number {
  return checkLimit(maxValues, DEFAULT_MAX_LATENT_VALUES, RAISE_LATENT);
}

/** Where {@link PackInfo} lives in a packed frame's `meta.extra`. */
export const PACK_META_KEY = 'pack';

export interface PackOptions {
  /** Image format; default 'webp' (PNG when an image side would exceed 16383 px). */
  format?: PackFormat;
  /** Latent bits b (2..8); default: the frame's `meta.bits`, else 8. */
  bits?: number;
  /** Force the number of planes (1, 3 or 4); n is then the smallest grid that fits. */
  planes?: PlaneCount;
  /** Force the tile grid side n (with `planes`, or the P that wastes least for this n). */
  tiles?: number;
  /** Row width R for 1-D latents (default 256, or ℓ when ℓ is shorter). */
  rowWidth?: number;
  /** WebP effort 0..6 (default 4). */
  effort?: number;
  /** PNG compression level 0..9 (default 6). */
  compressionLevel?: number;
  /** PNG adaptive row filtering (default true: latents are smooth, filters pay). */
  adaptiveFiltering?: boolean;
}

/** What unpack needs besides the image; JSON-serialisable, kept in `meta.extra.pack`. */
export interface PackInfo {
  /** The format actually written (may be 'png' when 'webp' was asked for an oversized image). */
  format: PackFormat;
  /** Shape of the int8 latent, [N, ...spatial]. */
  latentShape: number[];
  bits: number;
  planes: PlaneCount;
  /** Tile grid side n: each plane holds n×n channel tiles. */
  tiles: number;
  /** Row width R used for 1-D latents (absent otherwise). */
  rowWidth?: number;
}

/** The geometry derived from a {@link PackInfo}. */
export interface PackLayout {
  /** N, the real channels. */
  channels: number;
  /** P·n², N plus zero padding channels. */
  paddedChannels: number;
  planes: PlaneCount;
  tiles: number;
  /** Values per channel (product of the spatial shape). */
  positions: number;
  /** Tile size: rows × cols ≥ positions (greater only for padded 1-D latents). */
  rows: number;
  cols: number;
  /** Image size: n·cols × n·rows. */
  width: number;
  height: number;
}

/**
 * Picks planes P and tile side n for N channels: the smallest P·n² ≥ N, ties broken towards RGB,
 * then RGBA, then grey. With `planes` fixed, the smallest n; with `tiles` fixed, the P that fits.
 *
 * @example
 * choosePlanes(12);  // { planes: 3, tiles: 2 }
 * choosePlanes(16);  // { planes: 4, tiles: 2 }
 * choosePlanes(8);   // { planes: 1, tiles: 3 }
 * choosePlanes(12, { planes: 1 }); // { planes: 1, tiles: 4 }
 */
export function choosePlanes(channels: number, force: { planes?: PlaneCount; tiles?: number } = {}): { planes: PlaneCount; tiles: number } {
  if (!Number.isInteger(channels) || channels <= 0) throw werr('WALLOC_ERR_PACK', { reason: `latent channel count must be a positive integer, got ${channels}` });
  if (force.planes !== undefined && ![1, 3, 4].includes(force.planes)) throw werr('WALLOC_ERR_PACK', { reason: `planes must be 1, 3 or 4, got ${String(force.planes)}` });
  if (force.tiles !== undefined && (!Number.isInteger(force.tiles) || force.tiles <= 0)) throw werr('WALLOC_ERR_PACK', { reason: `tiles must be a positive integer, got ${force.tiles}` });
  const order: PlaneCount[] = force.planes !== undefined ? [force.planes] : [3, 4, 1];
  let best: { planes: PlaneCount; tiles: number } | undefined;
  let bestCount = Infinity;
  for (const p of order) {
    // The smallest t with p·t² ≥ N (floor of the root never overshoots; then step up).
    let t = force.tiles ?? Math.max(1, Math.floor(Math.sqrt(channels / p)));
    if (force.tiles === undefined) while (p * t * t < channels) t++;
    const count = p * t * t;
    if (count >= channels && count < bestCount) {
      best = { planes: p, tiles: t };
      bestCount = count;
    }
  }
  if (best === undefined) throw werr('WALLOC_ERR_PACK', { reason: `${channels} channels do not fit in ${force.planes ?? 'any number of'} planes of ${force.tiles}×${force.tiles} tiles` });
  return best;
}

/**
 * The image geometry of a pack: tile size, padding, image size. Validates the info.
 *
 * @example
 * packLayout({ format: 'webp', latentShape: [12, 135, 240], bits: 8, planes: 3, tiles: 2 });
 * // { channels: 12, paddedChannels: 12, rows: 135, cols: 240, width: 480, height: 270, ... }
 */
export function packLayout(info: PackInfo, code: 'WALLOC_ERR_PACK' | 'WALLOC_ERR_UNPACK' = 'WALLOC_ERR_PACK'): PackLayout {
  const shape = info.latentShape;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw werr(code, { reason: `latent shape must be [N, ...spatial] of positive integers, got ${JSON.stringify(shape)}` });
  }
  if (![1, 3, 4].includes(info.planes) || !Number.isInteger(info.tiles) || info.tiles <= 0) {
    throw werr(code, { reason: `bad plane layout: ${String(info.planes)} planes of ${String(info.tiles)}×${String(info.tiles)} tiles` });
  }
  const channels = shape[0] as number;
  const paddedChannels = info.planes * info.tiles * info.tiles;
  if (paddedChannels < channels) throw werr(code, { reason: `${channels} channels do not fit in ${info.planes} planes of ${info.tiles}×${info.tiles} tiles` });
  const positions = sizeOf(shape.slice(1));
  let rows: number;
  let cols: number;
  if (shape.length === 2) {
    const R = info.rowWidth;
    if (R === undefined || !Number.isInteger(R) || R <= 0) throw werr(code, { reason: `1-D latents need a positive integer row width, got ${String(R)}` });
    cols = R;
    rows = Math.ceil(positions / R);
  } else {
    cols = shape[shape.length - 1] as number;
    rows = positions / cols;
  }
  const width = info.tiles * cols;
  const height = info.tiles * rows;
  if (!Number.isSafeInteger(width * height * info.planes) || width * height > 2 ** 31) {
    throw werr(code, { reason: `image of ${width}×${height} px is too large` });
  }
  return { channels, paddedChannels, planes: info.planes, tiles: info.tiles, positions, rows, cols, width, height };
}

/**
 * Tiles int8 latents into interleaved image bytes (b-bit offset added, padding at value 0).
 * `out` must hold width·height·planes bytes. This is the inner loop of pack: one pass, no
 * allocation.
 *
 * @example
 * const L = packLayout(info);
 * const pixels = tileLatents(latents, L, 8, new Uint8Array(L.width * L.height * L.planes));
 */
export function tileLatents(q: Int8Array, layout: PackLayout, bits: number, out: Uint8Array): Uint8Array {
  const { channels, paddedChannels, planes: P, tiles: n, positions, rows, cols, width } = layout;
  const off = 2 ** (bits - 1);
  if (q.length !== channels * positions) throw werr('WALLOC_ERR_PACK', { reason: `latent holds ${q.length} values, shape needs ${channels * positions}` });
  if (out.length !== width * layout.height * P) throw werr('WALLOC_ERR_PACK', { reason: 'pixel buffer has the wrong size' });
  const nn = n * n;
  const rowStride = width * P;
  for (let k = 0; k < paddedChannels; k++) {
    const c = Math.floor(k / nn);
    const i = Math.floor((k % nn) / n);
    const j = k % n;
    const base = (i * rows * width + j * cols) * P + c;
    if (k >= channels) {
      for (let r = 0; r < rows; r++) {
        const d = base + r * rowStride;
        for (let x = 0; x < cols; x++) out[d + x * P] = off;
      }
      continue;
    }
    const src = k * positions;
    for (let r = 0; r < rows; r++) {
      const d = base + r * rowStride;
      const s = src + r * cols;
      // Only the last row of a padded 1-D channel runs past the channel's values.
      const full = Math.min(cols, positions - r * cols);
      let x = 0;
      for (; x < full; x++) out[d + x * P] = (q[s + x] as number) + off;
      for (; x < cols; x++) out[d + x * P] = off;
    }
  }
  return out;
}

/**
 * The inverse of {@link tileLatents}: interleaved image bytes → int8 latents. Throws
 * WALLOC_ERR_UNPACK on a byte outside 1..2^b − 1 (not a b-bit latent: corrupt data).
 *
 * @example
 * const q = untileLatents(pixels, packLayout(info), 8, new Int8Array(12 * 135 * 240));
 */
export function untileLatents(pixels: Uint8Array, layout: PackLayout, bits: number, out: Int8Array): Int8Array {
  const { channels, planes: P, tiles: n, positions, rows, cols, width } = layout;
  const off = 2 ** (bits - 1);
  const hi = 2 * off - 1;
  if (out.length !== channels * positions) throw werr('WALLOC_ERR_UNPACK', { reason: `output holds ${out.length} values, shape needs ${channels * positions}` });
  if (pixels.length !== width * layout.height * P) throw werr('WALLOC_ERR_UNPACK', { reason: `image holds ${pixels.length} bytes, expected ${width * layout.height * P}` });
  const nn = n * n;
  const rowStride = width * P;
  for (let k = 0; k < channels; k++) {
    const c = Math.floor(k / nn);
    const i = Math.floor((k % nn) / n);
    const j = k % n;
    const base = (i * rows * width + j * cols) * P + c;
    const dst = k * positions;
    for (let r = 0; r < rows; r++) {
      const s = base + r * rowStride;
      const d = dst + r * cols;
      const full = Math.min(cols, positions - r * cols);
      for (let x = 0; x < full; x++) {
        const v = pixels[s + x * P] as number;
        if (v < 1 || v > hi) throw werr('WALLOC_ERR_UNPACK', { reason: `byte ${v} in channel ${k} is not a ${bits}-bit latent (corrupt image?)` });
        out[d + x] = v - off;
      }
    }
  }
  return out;
}

function checkRange(value: number | undefined, lo: number, hi: number, what: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < lo || value > hi)) {
    throw werr('WALLOC_ERR_PACK', { reason: `${what} must be an integer from ${lo} to ${hi}, got ${value}` });
  }
}

/**
 * Checks packing options before any data flows (the pack stage and Codec call it when built).
 *
 * @throws WALLOC_ERR_PACK
 * @example
 * checkPackOptions({ format: 'gif' }); // throws: format must be "webp" or "png"
 */
export function checkPackOptions(options: PackOptions): void {
  try {
    checkBits(options.bits ?? 8);
  } catch (e) {
    throw werr('WALLOC_ERR_PACK', { reason: (e as Error).message }, e);
  }
  const format = options.format ?? 'webp';
  if (format !== 'webp' && format !== 'png') throw werr('WALLOC_ERR_PACK', { reason: `format must be "webp" or "png", got ${JSON.stringify(format)}` });
  checkRange(options.effort, 0, 6, 'WebP effort');
  checkRange(options.compressionLevel, 0, 9, 'PNG compression level');
}

/**
 * Packs int8 latents of shape [N, ...spatial] into lossless image bytes.
 *
 * @example
 * const { data, info } = await packLatents(q, [12, 135, 240], { format: 'webp' });
 * // info: { format: 'webp', latentShape: [12, 135, 240], bits: 8, planes: 3, tiles: 2 }
 */
export async function packLatents(q: Int8Array, shape: readonly number[], options: PackOptions = {}): Promise<{ data: Uint8Array; info: PackInfo }> {
  checkPackOptions(options);
  const bits = options.bits ?? 8;
  const format = options.format ?? 'webp';
  if (shape.length < 2) throw werr('WALLOC_ERR_PACK', { reason: `latent shape must be [N, ...spatial], got [${shape.join(', ')}]` });
  const { planes, tiles } = choosePlanes(shape[0] as number, options);
  const info: PackInfo = { format, latentShape: [...shape], bits, planes, tiles };
  if (shape.length === 2) {
    const length = shape[1] as number;
    const R = options.rowWidth ?? Math.min(DEFAULT_ROW_WIDTH, length);
    checkRange(R, 1, 2 ** 30, 'row width');
    info.rowWidth = R;
  }
  const layout = packLayout(info);
  // Range check before tiling: an out-of-range value would otherwise wrap to a valid-looking byte.
  const limit = 2 ** (bits - 1) - 1;
  for (let i = 0; i < q.length; i++) {
    const v = q[i] as number;
    if (v < -limit || v > limit) throw werr('WALLOC_ERR_PACK', { reason: `value ${v} at index ${i} is outside the ${bits}-bit range ±${limit}` });
  }
  const pixels = tileLatents(q, layout, bits, new Uint8Array(layout.width * layout.height * layout.planes));
  if (format === 'webp' && (layout.width > WEBP_MAX_SIDE || layout.height > WEBP_MAX_SIDE)) info.format = 'png';
  const img = sharp(pixels, { raw: { width: layout.width, height: layout.height, channels: layout.planes }, limitInputPixels: false });
  let data: Buffer;
  try {
    data = info.format === 'webp'
      ? await img.webp({ lossless: true, exact: true, effort: options.effort ?? DEFAULT_WEBP_EFFORT }).toBuffer()
      // Without toColourspace('b-w') sharp writes one plane as an RGB PNG (three equal channels).
      : await (layout.planes === 1 ? img.toColourspace('b-w') : img)
        .png({ compressionLevel: options.compressionLevel ?? DEFAULT_PNG_LEVEL, adaptiveFiltering: options.adaptiveFiltering ?? true }).toBuffer();
  } catch (e) {
    throw werr('WALLOC_ERR_PACK', { reason: `${info.format} encoder failed: ${(e as Error).message}` }, e);
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info };
}

/** Reads and checks a {@link PackInfo} from untrusted JSON-ish data. */
function readInfo(raw: unknown): PackInfo {
  if (raw === null || typeof raw !== 'object') throw werr('WALLOC_ERR_UNPACK', { reason: 'the frame has no pack description (meta.extra.pack)' });
  const r = raw as Record<string, unknown>;
  if (r.format !== 'webp' && r.format !== 'png') throw werr('WALLOC_ERR_UNPACK', { reason: `unknown format ${JSON.stringify(r.format)}` });
  if (typeof r.bits !== 'number' || !Number.isInteger(r.bits) || r.bits < 2 || r.bits > 8) throw werr('WALLOC_ERR_UNPACK', { reason: `bad bits ${JSON.stringify(r.bits)}` });
  const info: PackInfo = {
    format: r.format, latentShape: r.latentShape as number[], bits: r.bits, planes: r.planes as PlaneCount, tiles: r.tiles as number,
  };
  if (r.rowWidth !== undefined) info.rowWidth = r.rowWidth as number;
  return info;
}

/**
 * Decodes packed image bytes back to the exact int8 latents. Refuses an image whose format, size
 * or channel count differs from what `info` says, and never decodes more pixels than that (so a
 * hostile header cannot make it allocate gigabytes). `info` is trusted for what the image cannot
 * show: a WebP stores 1 and 3 planes alike as RGB, so a wrong `planes` there goes unnoticed (the
 * container's CRC protects the meta).
 *
 * @example
 * const q = await unpackLatents(data, info); // Int8Array of sizeOf(info.latentShape) values
 */
export async function unpackLatents(data: Uint8Array, info: PackInfo, options: UnpackOptions = {}): Promise<Int8Array> {
  const maxValues = resolveMaxLatentValues(options.maxValues);
  const checked = readInfo(info);
  const layout = packLayout(checked, 'WALLOC_ERR_UNPACK');
  // Issue 11 (decompression bombs): refuse a frame whose PackInfo promises more than the limit
  // before sharp is asked to decode it (packLayout alone allowed up to 2^31 pixels × 4 planes).
  const bytes = layout.width * layout.height * layout.planes;
  if (bytes > maxValues) {
    throw limitExceeded(`packed latent image (${layout.width}×${layout.height}×${layout.planes})`, bytes, maxValues, RAISE_LATENT);
  }
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    let img = sharp(data, { limitInputPixels: layout.width * layout.height });
    const meta = await img.metadata();
    if (meta.format !== checked.format) throw werr('WALLOC_ERR_UNPACK', { reason: `image is ${String(meta.format)}, expected ${checked.format}` });
    if (meta.width !== layout.width || meta.height !== layout.height) {
      throw werr('WALLOC_ERR_UNPACK', { reason: `image is ${String(meta.width)}×${String(meta.height)} px, expected ${layout.width}×${layout.height}` });
    }
    // PNG stores exactly the planes written. libwebp has no grey (a 1-plane pack is RGB with
    // equal channels) and drops an alpha plane that is all 255 (every value of the fourth plane
    // at +127): both are put back below.
    const stored = meta.channels ?? 0;
    const allowed = checked.format === 'png' ? [layout.planes] : layout.planes === 4 ? [3, 4] : [3];
    if (!allowed.includes(stored)) throw werr('WALLOC_ERR_UNPACK', { reason: `image has ${stored} channels, a ${layout.planes}-plane ${checked.format} pack has ${allowed.join(' or ')}` });
    if (layout.planes === 1) img = img.extractChannel(0);
    else if (layout.planes === 4) img = img.ensureAlpha(1);
    decoded = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'WALLOC_ERR_UNPACK') throw e;
    throw werr('WALLOC_ERR_UNPACK', { reason: `${checked.format} decoder failed: ${(e as Error).message}` }, e);
  }
  if (decoded.info.channels !== layout.planes) {
    throw werr('WALLOC_ERR_UNPACK', { reason: `image has ${decoded.info.channels} channels, expected ${layout.planes}` });
  }
  const pixels = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  return untileLatents(pixels, layout, checked.bits, new Int8Array(layout.channels * layout.positions));
}

/**
 * Packs one int8 latent frame into a packed frame (same meta, plus `extra.pack`).
 *
 * @example
 * const packed = await packFrame(latentFrame, { format: 'webp', effort: 6 });
 * packed.data; // WebP bytes
 */
export async function packFrame(frame: Frame, options: PackOptions = {}): Promise<PackedFrame> {
  const f = expectKind(frame, ['latent'], 'pack') as LatentFrame;
  if (!(f.data instanceof Int8Array)) {
    throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'pack', expected: 'quantized latent (Int8Array)', actual: `latent (${f.data.constructor.name})`, hint: '; add quantize before it' });
  }
  const { data, info } = await packLatents(f.data, f.shape, { ...options, bits: options.bits ?? f.meta.bits ?? 8 });
  const meta: FrameMeta = { ...f.meta, bits: info.bits, extra: { ...f.meta.extra, [PACK_META_KEY]: info } };
  return makeFrame('packed', [data.length], data, meta);
}

/**
 * The {@link PackInfo} of a packed frame (throws WALLOC_ERR_UNPACK if it has none).
 *
 * @example
 * packInfoOf(packed).planes; // 3
 */
export function packInfoOf(frame: Frame): PackInfo {
  return readInfo(frame.meta.extra?.[PACK_META_KEY]);
}

/**
 * Unpacks one packed frame back into the exact int8 latent frame; `extra.pack` is removed.
 *
 * @example
 * const latent = await unpackFrame(packed); // kind 'latent', Int8Array
 */
export async function unpackFrame(frame: Frame, options: UnpackOptions = {}): Promise<LatentFrame> {
  const f = expectKind(frame, ['packed'], 'unpack');
  if (!(f.data instanceof Uint8Array)) throw werr('WALLOC_ERR_UNPACK', { reason: 'packed data must be a Uint8Array' });
  const info = packInfoOf(f);
  const q = await unpackLatents(f.data, info, options);
  const meta: FrameMeta = { ...f.meta, bits: info.bits };
  const extra: Record<string, unknown> = { ...f.meta.extra };
  delete extra[PACK_META_KEY];
  if (Object.keys(extra).length > 0) meta.extra = extra;
  else delete meta.extra;
  return makeFrame('latent', info.latentShape, q, meta);
}
