/**
 * One image file in, one complete .wlc file's bytes out (and back), as a function of the bytes
 * alone: no paths, clocks or hosts go into the output, so encoding the same file twice, on any
 * machine, in any folder, gives byte-identical results. That is what lets a resumed batch finish
 * with exactly the bytes an uninterrupted one would have written.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Codec } from '../codec/codec.js';
import { readWlcSync, writeWlc, type WlcHeader } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame, ImageFrame } from '../frame.js';
import { readImagePages, writeImage } from '../io/image.js';
import type { ImageLimits } from '../io/limits.js';

/** Lower-case hex sha256 of some bytes. */
export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A file's size and SHA-256, read in chunks (for outputs written as streams, too big to hold). */
export async function fileSha256(path: string): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: h.digest('hex') };
}

/** The header fields a batch adds to each single-image .wlc file (beside the codec's own). */
export interface SourceFields {
  /** The input's path relative to the batch root, `/`-separated. */
  source: string;
  /** The input's size in bytes. */
  sourceBytes: number;
  /** Lower-case hex sha256 of the input file: what a resumed batch checks before skipping it. */
  sourceSha256: string;
}

export interface EncodedFile {
  /** The complete .wlc file. */
  wlc: Buffer;
  header: WlcHeader;
  width: number;
  height: number;
}

/**
 * Encodes one image (its file bytes) into a complete .wlc file whose header records where it came
 * from (`source`) and what it was (`sourceBytes`, `sourceSha256`). One frame, or one per page of
 * an animated GIF/WebP or multi-page TIFF (as walloc-encode does); the header's `frames` says how
 * many, and `width`/`height` are the first page's.
 *
 * @throws WALLOC_ERR_UNSUPPORTED_INPUT (not an image, truncated), WALLOC_ERR_LIMIT_EXCEEDED
 * @example
 * const bytes = readFileSync('cats/1.jpg');
 * const { wlc } = await encodeImageFile(bytes, 'cats/1.jpg', Codec.load('rgb-16x'));
 * writeFileSync('cats/1.wlc', wlc);
 */
export async function encodeImageFile(bytes: Uint8Array, rel: string, codec: Codec, opts: { limits?: ImageLimits; sha256?: string } = {}): Promise<EncodedFile> {
  // From a buffer, not the path: readImage would record the absolute path in the frame's meta,
  // and the output would then depend on where the dataset happens to live.
  let frame: ImageFrame | undefined;
  const packed: Frame[] = [];
  for await (const page of readImagePages(bytes, opts.limits ?? {}, rel)) {
    frame ??= page;
    packed.push(await codec.encodeFrame(page));
  }
  if (!frame) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: rel, reason: 'no image in it' });
  const pages = packed.length;
  const fields: SourceFields = { source: rel, sourceBytes: bytes.length, sourceSha256: opts.sha256 ?? sha256Hex(bytes) };
  const header = codec.header({ shape: [...frame.shape], frames: pages, ...fields });
  return { wlc: writeWlc(header, packed), header, width: frame.shape[2]!, height: frame.shape[1]! };
}

/**
 * Decodes a complete single-image .wlc file into PNG bytes. `codecFor` supplies (and may cache)
 * the codec named by the header.
 *
 * @throws WALLOC_ERR_CONTAINER_* for a damaged file, WALLOC_ERR_CONTAINER_MODEL for the wrong model
 * @example
 * const png = await decodeImageFile(readFileSync('cats/1.wlc'), (name) => Codec.load(name));
 */
export async function decodeImageFile(wlc: Uint8Array, codecFor: (model: string) => Codec, name = 'input'): Promise<{ png: Buffer; width: number; height: number; header: WlcHeader }> {
  const { header, frames, terminated } = readWlcSync(wlc, { strict: true });
  if (!terminated) throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: name, reason: 'no end record' });
  if (frames.length !== 1) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: `it holds ${frames.length} frames; batch decodes single images (use walloc-decode -o name-%d.png for an animation or video)` });
  if (typeof header.model !== 'string') throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${name}: the header names no model` });
  const codec = codecFor(header.model);
  codec.checkHeader(header);
  const media = await codec.decodeFrame(frames[0]!);
  if (media.kind !== 'image') throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: `it holds ${media.kind}, not an image` });
  const png = await writeImage(media as ImageFrame, undefined, { format: 'png' });
  return { png, width: media.shape[2]!, height: media.shape[1]!, header };
}
