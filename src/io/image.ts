/**
 * Still images in and out through sharp (libvips): PNG, JPEG, WebP, TIFF, GIF (first frame), AVIF
 * and whatever else the installed libvips reads.
 *
 * Decisions, because walloc is an RGB codec:
 * - EXIF orientation is applied, so the frame is upright the way every viewer shows it.
 * - Alpha is flattened onto white (how browsers and viewers show most transparent images on a page);
 *   a codec that dropped alpha silently would turn transparent areas into arbitrary colours.
 * - Greyscale expands to 3 equal channels; 16-bit samples are scaled to 8 bits (x/257, rounded) —
 *   the frame holds floats, but every bundled model was trained on 8-bit photos.
 * - Embedded ICC profiles are converted to sRGB by libvips.
 * - The header is read first (sharp's `metadata()` parses only the header), so an absurd size is
 *   refused before a single pixel is decoded; sharp's own pixel limit is set to the same value as a
 *   second fence.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Writable } from 'node:stream';
import sharp, { type Metadata } from 'sharp';
import { werr, isWallocError } from '../errors.js';
import { makeFrame, type ImageFrame, type FrameMeta } from '../frame.js';
import { checkImageSize, resolveImageLimits, type ImageLimits } from './limits.js';

/** Formats {@link writeImage} can produce. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface WriteImageOptions {
  /** Output format; default: from the file extension, else PNG. */
  format?: ImageFormat;
  /** JPEG / lossy WebP quality 1–100 (default 90). Ignored for PNG. */
  quality?: number;
  /** WebP only: lossless (default false). */
  lossless?: boolean;
}

/** 8-bit sample value x → frame value x/255 − 0.5, as float32; one table instead of a division per sample. */
const BYTE_TO_FLOAT = Float32Array.from({ length: 256 }, (_, x) => x / 255 - 0.5);

/**
 * Builds an image frame from interleaved 8-bit samples (RGB, or grey when `channels` is 1).
 *
 * @example
 * const { data, info } = await sharp('a.png').removeAlpha().raw().toBuffer({ resolveWithObject: true });
 * const frame = imageFromRgbBytes(data, info.width, info.height, 3, { pts: 0 });
 */
export function imageFromRgbBytes(bytes: Uint8Array, width: number, height: number, channels: 1 | 3 = 3, meta: FrameMeta = {}): ImageFrame {
  const plane = width * height;
  if (bytes.length !== plane * channels) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${width}×${height}×${channels} needs ${plane * channels} bytes, got ${bytes.length}` });
  }
  const data = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    for (let i = 0, j = c; i < plane; i++, j += channels) data[base + i] = BYTE_TO_FLOAT[bytes[j]!]!;
  }
  return makeFrame('image', [channels, height, width], data, meta);
}

/**
 * Converts an image frame to interleaved 8-bit RGB (H·W·3 bytes): values are mapped back with
 * (v + 0.5)·255, rounded half to even and clamped to 0–255 (NaN becomes 0). A 1-channel frame is
 * repeated into grey RGB.
 *
 * @example
 * const rgb = imageToRgbBytes(frame); // Uint8Array, ready for sharp(rgb, { raw: { width, height, channels: 3 } })
 */
export function imageToRgbBytes(frame: ImageFrame): Uint8Array {
  const [c, h, w] = imageShape(frame);
  const plane = h * w;
  // Uint8ClampedArray does the clamping and rounding in the store itself: no per-sample branches.
  const out = new Uint8ClampedArray(plane * 3);
  const src = frame.data;
  for (let ch = 0; ch < 3; ch++) {
    const base = (c === 1 ? 0 : ch) * plane;
    for (let i = 0, j = ch; i < plane; i++, j += 3) out[j] = (src[base + i]! + 0.5) * 255;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function imageShape(frame: ImageFrame): [1 | 3, number, number] {
  const s = frame.shape;
  if (frame.kind !== 'image' || s.length !== 3 || (s[0] !== 1 && s[0] !== 3)) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `expected an image frame [1 or 3, H, W], got ${frame.kind} [${s.join(', ')}]` });
  }
  return [s[0], s[1]!, s[2]!];
}

/** Turns a libvips failure into a sentence: the format or the reason, never a stack. */
function sharpReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unsupported image format/i.test(msg)) return 'not an image format walloc can read (PNG, JPEG, WebP, TIFF, GIF, …)';
  const first = msg.split('\n').map((l) => l.trim()).filter(Boolean);
  const detail = first.slice(0, 2).join(': ').replace(/^Input (file|buffer) (has|contains) /i, '');
  return `corrupt or truncated image data (${detail || 'decoder error'})`;
}

/**
 * How many pages the file behind a frame from {@link readImage} holds: an animated GIF/WebP or a
 * multi-page TIFF has several (read each with readImage's `page`), anything else one.
 *
 * @example
 * const first = await readImage('anim.gif');
 * for (let p = 1; p < pageCount(first); p++) frames.push(await readImage('anim.gif', {}, p));
 */
export function pageCount(frame: ImageFrame): number {
  const pages = frame.meta.extra?.pages;
  return typeof pages === 'number' && Number.isSafeInteger(pages) && pages > 1 ? pages : 1;
}

/**
 * Decodes an image file or an in-memory image into an RGB frame [3, H, W] with values in
 * [-0.5, 0.5]. The size is checked against `limits` from the header alone, before decoding.
 * meta.extra holds `format` (as libvips names it), `source` (the file name, when there is one) and
 * `alpha: 'flattened'` when transparency was composited onto white, and `pages` when the file holds
 * several frames (an animated GIF or WebP, a multi-page TIFF): `page` picks one (default the first).
 * `bufferName` names an in-memory image in error messages (say, the file it was read from).
 *
 * @throws WALLOC_ERR_FILE_NOT_FOUND, WALLOC_ERR_FILE_READ, WALLOC_ERR_UNSUPPORTED_INPUT (not an image,
 *   truncated or corrupt), WALLOC_ERR_LIMIT_EXCEEDED (the header promises too many pixels)
 * @example
 * const frame = await readImage('fixtures/images/chelsea_128x96.png');
 * frame.shape; // [3, 96, 128]
 * await readImage(pngBytes, { maxPixels: 4_000_000 });
 */
export async function readImage(pathOrBuffer: string | Uint8Array, limits: ImageLimits = {}, page = 0, bufferName = 'image buffer'): Promise<ImageFrame> {
  const src = await openImage(pathOrBuffer, limits, bufferName);
  return (await decodePages(src, page, 1))[0]!;
}

/**
 * Every page of an image file, in order: one frame for a still image, one per page of an animated
 * GIF/WebP or a multi-page TIFF. Pages are decoded a block at a time in one pass (a GIF page can
 * only be decoded after the pages before it, so reading them one by one costs time quadratic in
 * their number); memory holds one block (about 16 MP), not the whole animation.
 *
 * @throws as {@link readImage}
 * @example
 * for await (const frame of readImagePages('anim.gif')) frames.push(frame);
 */
export async function* readImagePages(pathOrBuffer: string | Uint8Array, limits: ImageLimits = {}, bufferName = 'image buffer'): AsyncGenerator<ImageFrame> {
  const src = await openImage(pathOrBuffer, limits, bufferName);
  const pages = Math.max(1, src.meta.pages ?? 1);
  // One by one where a strip does not work: a rotated page (EXIF orientation) cannot be cut out of
  // a rotated strip, and a multi-page TIFF's pages may differ in size. A block also stays under the
  // pixel limit, which libvips applies to the whole strip.
  const oneByOne = (src.meta.orientation ?? 1) !== 1 || src.meta.format === 'tiff';
  const perPage = Math.max(1, (src.meta.width ?? 1) * (src.meta.pageHeight ?? src.meta.height ?? 1));
  const block = oneByOne ? 1 : Math.max(1, Math.min(64, Math.floor(Math.min(16e6, src.resolved.maxPixels) / perPage)));
  for (let p = 0; p < pages; p += block) yield* await decodePages(src, p, Math.min(block, pages - p));
}

interface OpenedImage {
  input: Buffer;
  meta: Metadata;
  name: string;
  resolved: ReturnType<typeof resolveImageLimits>;
  source?: string;
}

/** Reads the bytes (a path is read here, so errors name it) and the header, checked against the limits. */
async function openImage(pathOrBuffer: string | Uint8Array, limits: ImageLimits, bufferName: string): Promise<OpenedImage> {
  const resolved = resolveImageLimits(limits);
  const name = typeof pathOrBuffer === 'string' ? pathOrBuffer : bufferName;
  let input: Buffer;
  if (typeof pathOrBuffer === 'string') {
    // Read the file ourselves: sharp's file errors ("Input file is missing") do not say which.
    try {
      input = await readFile(pathOrBuffer);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: pathOrBuffer }, e);
      throw werr('WALLOC_ERR_FILE_READ', { path: pathOrBuffer, reason: err.code ?? err.message }, e);
    }
  } else {
    input = Buffer.from(pathOrBuffer.buffer, pathOrBuffer.byteOffset, pathOrBuffer.byteLength);
  }
  if (input.length === 0) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: 'the input is empty' });
  let meta: Metadata;
  try {
    // limitInputPixels: false here so that *our* check, with its flag hint, is the one that fires.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: sharpReason(e) }, e);
  }
  checkImageSize(meta.width ?? 0, meta.height ?? 0, resolved, name);
  // The file's name, not its path: frame meta travels into .wlc records people share.
  return { input, meta, name, resolved, ...(typeof pathOrBuffer === 'string' ? { source: basename(pathOrBuffer) } : {}) };
}

/** Decodes `count` pages from `page` in one libvips call (a vertical strip), cut into frames. */
async function decodePages(src: OpenedImage, page: number, count: number): Promise<ImageFrame[]> {
  const { input, meta, name, resolved } = src;
  try {
    let pipeline = sharp(input, { limitInputPixels: resolved.maxPixels, failOn: 'error', pages: count, page }).autoOrient();
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: { r: 255, g: 255, b: 255 } });
    // toColourspace('srgb') expands grey to 3 channels and applies any ICC profile; raw() then
    // writes 8-bit samples, scaling 16-bit input.
    const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw werr('WALLOC_ERR_INTERNAL', { reason: `sharp returned ${info.channels} channels for ${name}` });
    if (info.height % count !== 0) throw werr('WALLOC_ERR_INTERNAL', { reason: `${count} pages of ${name} came back ${info.height} rows high` });
    const h = info.height / count;
    const extra: Record<string, unknown> = { format: meta.format };
    if (src.source !== undefined) extra.source = src.source;
    if (meta.hasAlpha) extra.alpha = 'flattened';
    if ((meta.pages ?? 1) > 1) extra.pages = meta.pages;
    const bytes = info.width * h * 3;
    return Array.from({ length: count }, (_, i) => imageFromRgbBytes(data.subarray(i * bytes, (i + 1) * bytes), info.width, h, 3, { pts: page + i, extra: { ...extra } }));
  } catch (e) {
    if (isWallocError(e)) throw e;
    throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: sharpReason(e) }, e);
  }
}

/** The image format {@link writeImage} writes for each extension it writes itself (through sharp). */
export const IMAGE_FORMAT_BY_EXT: Readonly<Record<string, ImageFormat>> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/** The extensions {@link writeImage} writes itself; other image formats go to ffmpeg. */
export const WRITTEN_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(Object.keys(IMAGE_FORMAT_BY_EXT));

/**
 * Encodes an image frame as PNG, JPEG or WebP and, given a target, writes it there: a path, `'-'`
 * for stdout, or any Writable (which is not ended, so several images can go down one pipe).
 * Always resolves with the encoded bytes.
 *
 * PNG is written without `effort`/`quality` options on purpose: those switch sharp to palette
 * quantization, which is lossy (research/deps.md §3).
 *
 * @throws WALLOC_ERR_FILE_WRITE when the file cannot be written
 * @example
 * const png = await writeImage(frame);                          // Buffer with a PNG
 * await writeImage(frame, 'out.jpg', { quality: 95 });          // format from the extension
 * await writeImage(frame, process.stdout, { format: 'webp' });
 */
export async function writeImage(frame: ImageFrame, target?: string | Writable, options: WriteImageOptions = {}): Promise<Buffer> {
  const [, height, width] = imageShape(frame);
  const ext = typeof target === 'string' && target !== '-' ? extname(target).toLowerCase() : '';
  // PNG bytes under x.bmp or x.tif would fool whoever opens the file: say so instead.
  if (!options.format && ext && !IMAGE_FORMAT_BY_EXT[ext]) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${String(target)}: images are written as .png, .jpg or .webp (or pass a format), not ${ext}` });
  const format = options.format ?? IMAGE_FORMAT_BY_EXT[ext] ?? 'png';
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `image quality must be an integer from 1 to 100, got ${quality}` });
  }
  const rgb = sharp(imageToRgbBytes(frame), { raw: { width, height, channels: 3 }, limitInputPixels: false });
  // A grey frame is written as a grey image (one channel in the file), not as three equal ones.
  const raw = frame.shape[0] === 1 ? rgb.toColourspace('b-w') : rgb;
  const encoded = await (format === 'png' ? raw.png()
    : format === 'jpeg' ? raw.jpeg({ quality })
      : raw.webp(options.lossless ? { lossless: true, exact: true } : { quality })).toBuffer();
  if (target === undefined) return encoded;
  const targetName = typeof target === 'string' ? target : 'output stream';
  try {
    if (target === '-') await writeTo(process.stdout, encoded);
    else if (typeof target === 'string') await writeFile(target, encoded);
    else await writeTo(target, encoded);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw werr('WALLOC_ERR_FILE_WRITE', { path: target === '-' ? 'stdout' : targetName, reason: err.code ?? err.message }, e);
  }
  return encoded;
}

/** Writes one chunk and resolves once it is flushed (or rejects with the stream's error). */
function writeTo(stream: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (e) => (e ? reject(e) : resolve()));
  });
}
