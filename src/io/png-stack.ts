/**
 * Volumes as stacks of PNG slices: a folder of PNGs (natural name order: slice2 before slice10),
 * a numbered pattern (`slice-%03d.png`, counted from 0 or 1 until the first missing number), or
 * PNGs back to back on a pipe (what `ffmpeg -f image2pipe -vcodec png` writes, or a scanner
 * export). Slices are read one at a time, so a stream of them can be encoded in slabs with
 * bounded memory (src/codec/volume-codec.ts). 8-bit and 16-bit grey PNGs keep their values;
 * colour PNGs are converted to grey (luma) when the caller says the stack is a volume (`--stack`):
 * walloc-encode otherwise reads a folder or pattern of colour PNGs as a sequence of images.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { werr } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { limitExceeded, type ImageLimits } from './limits.js';
import { checkVolumeSize, encodeVoxels, type Volume, type VoxelType } from './volume.js';
import { frameName, isFramePattern } from './frame-sink.js';

/** One slice of a volume: H·W voxel values (as stored, no scaling) and how they were stored. */
export interface Slice {
  data: Float32Array;
  height: number;
  width: number;
  dtype: VoxelType;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** One slice file may be at most this large (a 65535² 16-bit PNG is far less). */
const MAX_PNG_BYTES = 1 << 30;

/**
 * Decodes one PNG slice to grey voxel values (uint8 or uint16 as stored).
 *
 * @example
 * const s = await decodeSlice(readFileSync('slice-000.png'), 'slice-000.png');
 */
export async function decodeSlice(png: Uint8Array, source: string): Promise<Slice> {
  let meta: Metadata;
  try {
    meta = await sharp(png).metadata();
  } catch (e) {
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `not a readable PNG slice: ${(e as Error).message}` }, e);
  }
  if (meta.format !== 'png') throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `slices must be PNG, this is ${meta.format ?? 'unknown'}` });
  const deep = meta.depth === 'ushort';
  // The colourspace must be named even for grey input: otherwise libvips goes through 8-bit sRGB
  // and a 16-bit slice comes back as value >> 8.
  const { data, info } = await sharp(png).toColourspace(deep ? 'grey16' : 'b-w').raw({ depth: deep ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const out = new Float32Array(n);
  if (deep) {
    const u16 = new Uint16Array(data.buffer, data.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = u16[i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = data[i]!;
  }
  return { data: out, height: info.height, width: info.width, dtype: deep ? 'uint16' : 'uint8' };
}

/**
 * Cuts a byte stream of PNGs laid back to back into one buffer per PNG (by walking the chunk
 * structure to IEND), holding at most one PNG in memory.
 *
 * @example
 * for await (const png of splitPngStream(process.stdin)) console.log(png.length);
 */
export async function* splitPngStream(stream: AsyncIterable<Uint8Array>, source = 'stdin'): AsyncGenerator<Buffer> {
  let buf = Buffer.alloc(0);
  let pos = 8; // parse position inside the current PNG (after the signature)
  for await (const chunk of stream) {
    buf = buf.length ? Buffer.concat([buf, Buffer.from(chunk)]) : Buffer.from(chunk);
    for (;;) {
      if (buf.length < 8) break;
      if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'the stream holds something other than PNG slices' });
      let end = -1;
      while (pos + 8 <= buf.length) {
        const len = buf.readUInt32BE(pos);
        const type = buf.toString('latin1', pos + 4, pos + 8);
        const next = pos + 12 + len;
        if (next > MAX_PNG_BYTES) throw limitExceeded('PNG slice bytes', next, MAX_PNG_BYTES, undefined, source);
        if (next > buf.length) break;
        pos = next;
        if (type === 'IEND') { end = next; break; }
      }
      if (end < 0) break;
      yield buf.subarray(0, end);
      buf = buf.subarray(end);
      pos = 8;
    }
  }
  if (buf.length > 0) throw werr('WALLOC_ERR_VOLUME_TRUNCATED', { source, reason: `the last PNG slice is cut short (${buf.length} bytes without IEND)` });
}

/**
 * The slice files of a folder (PNG only, natural order) or of a `%d` pattern (from 0 or 1 until the
 * first missing number).
 *
 * @example
 * listSliceFiles('scan/');              // ['scan/s1.png', 'scan/s2.png', …, 'scan/s10.png']
 * listSliceFiles('scan/s%03d.png');     // ['scan/s000.png', 'scan/s001.png', …]
 */
export function listSliceFiles(pathOrPattern: string): string[] {
  if (isFramePattern(pathOrPattern)) {
    const files: string[] = [];
    const start = existsSync(frameName(pathOrPattern, 0)) ? 0 : 1;
    for (let n = start; existsSync(frameName(pathOrPattern, n)); n++) files.push(frameName(pathOrPattern, n));
    if (files.length === 0) throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: frameName(pathOrPattern, 1) });
    return files;
  }
  if (!existsSync(pathOrPattern)) throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: pathOrPattern });
  if (!statSync(pathOrPattern).isDirectory()) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${pathOrPattern} is not a folder of PNG slices or a %d pattern` });
  const names = readdirSync(pathOrPattern);
  const files = names.filter((f) => f.toLowerCase().endsWith('.png'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).map((f) => join(pathOrPattern, f));
  if (files.length === 0) {
    const others = otherImages(names);
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source: pathOrPattern, reason: `no .png images or slices in this folder${others ? ` (it holds ${others}: a folder is read as PNG frames or slices; \`walloc batch ${pathOrPattern} OUT\` encodes photos of any format, one .wlc each)` : ''}` });
  }
  return files;
}

/** Image files other than PNG among `names` ("3 .jpg, 1 .webp"), or '' when none: a folder read as PNGs leaves them out. */
export function otherImages(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) {
    const m = /\.(jpe?g|webp|tiff?|gif|avif|bmp)$/i.exec(n);
    if (m) counts.set(m[1]!.toLowerCase(), (counts.get(m[1]!.toLowerCase()) ?? 0) + 1);
  }
  return [...counts].map(([ext, n]) => `${n} .${ext}`).join(', ');
}

/**
 * True when `files` are PNGs in colour (some pixel of the first, middle or last file with R, G and B
 * not all equal): a
 * folder or pattern of those is a sequence of images (video frames, as `walloc-decode -o
 * f-%04d.png` writes them, or photos), not the grey slices of a scan, and reading it as a volume
 * would silently drop the colour. Grey content stored as RGB still counts as grey.
 *
 * @example
 * await isColourSequence(listSliceFiles('frames/f-%04d.png')); // true for RGB frames
 */
export async function isColourSequence(files: readonly string[]): Promise<boolean> {
  // First, middle and last: a video may open on a black or grey frame.
  const picks = [...new Set([files[0], files[files.length >> 1], files[files.length - 1]])].filter((f): f is string => f !== undefined);
  for (const f of picks) if (await isColourPng(f)) return true;
  return false;
}

async function isColourPng(file: string): Promise<boolean> {
  try {
    const png = readFileSync(file);
    const meta = await sharp(png).metadata();
    if (meta.format !== 'png' || meta.space === 'b-w' || meta.space === 'grey16') return false;
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels < 3) return false;
    for (let i = 0; i < data.length; i += info.channels) {
      if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) return true;
    }
    return false;
  } catch {
    return false; // the volume reader says what is wrong with it
  }
}

/**
 * Slices of a stack, one at a time, checked to share one size and type.
 *
 * @example
 * for await (const s of pngSlices(listSliceFiles('scan/'))) …
 */
export async function* pngSlices(pngs: Iterable<string> | AsyncIterable<Buffer>, limits: ImageLimits = {}, source = 'PNG stack'): AsyncGenerator<Slice> {
  let first: Slice | undefined;
  let n = 0;
  for await (const item of pngs as AsyncIterable<string | Buffer>) {
    const name = typeof item === 'string' ? item : `${source} slice ${n}`;
    const s = await decodeSlice(typeof item === 'string' ? readFileSync(item) : item, name);
    first ??= s;
    if (s.width !== first.width || s.height !== first.height) {
      throw werr('WALLOC_ERR_VOLUME_DIMS', { source: name, reason: `slice is ${s.width}×${s.height}, the first was ${first.width}×${first.height}` });
    }
    // A deeper slice after shallower ones promotes the stack (values are kept either way).
    if (s.dtype !== first.dtype) first.dtype = 'uint16';
    n++;
    checkVolumeSize([n, s.height, s.width], limits, source);
    yield { ...s, dtype: first.dtype };
  }
  if (n === 0) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'no slices' });
}

/**
 * Reads a whole PNG stack into a volume (spacing 1 mm unless given).
 *
 * @example
 * const vol = await readPngStack(listSliceFiles('scan/'), { spacing: [3, 0.8, 0.8] });
 */
export async function readPngStack(pngs: Iterable<string> | AsyncIterable<Buffer>, opts: { spacing?: [number, number, number]; limits?: ImageLimits; source?: string } = {}): Promise<Volume> {
  const slices: Slice[] = [];
  let dtype: VoxelType = 'uint8';
  for await (const s of pngSlices(pngs, opts.limits, opts.source)) {
    slices.push(s);
    dtype = s.dtype;
  }
  const { height, width } = slices[0]!;
  const data = new Float32Array(slices.length * height * width);
  slices.forEach((s, z) => data.set(s.data, z * height * width));
  return { data, shape: [slices.length, height, width], spacing: opts.spacing ?? [1, 1, 1], dtype };
}

/**
 * Writes a volume as numbered grey PNG slices (`pattern` with `%d`, e.g. `out/s%03d.png`, counted
 * from 0), 16-bit when the volume's type needs more than 8 bits, each file written atomically.
 * PNG holds unsigned integers only: negative values (CT in Hounsfield units) become 0 and floats
 * are rounded. That loss is never silent: `onLoss` gets one sentence saying how much was lost
 * (a NIfTI output keeps every value).
 *
 * @example
 * await writePngStack(vol, 'back/s%03d.png', (msg) => console.error(`warning: ${msg}`));
 */
export async function writePngStack(vol: Volume, pattern: string, onLoss?: (message: string) => void): Promise<string[]> {
  const [D, H, W] = vol.shape;
  const deep = vol.dtype !== 'uint8';
  const top = deep ? 65535 : 255;
  let below = 0, above = 0, fractional = 0, lo = Infinity;
  // Rounding is a loss only for a float volume: decoded values of an integer one are rounded back
  // to its own type, as a NIfTI output of that type does too.
  const floatType = vol.dtype === 'float32' || vol.dtype === 'float64';
  if (onLoss) {
    for (const v of vol.data) {
      if (v < -0.5) { below++; if (v < lo) lo = v; } else if (v > top + 0.5) above++;
      if (floatType && v !== Math.round(v)) fractional++;
    }
  }
  const float = fractional > 0;
  if (onLoss && (below || above || float)) {
    const parts = [
      ...(below ? [`${below} voxel(s) below 0 (down to ${Math.round(lo)}) were written as 0`] : []),
      ...(above ? [`${above} voxel(s) above ${top} were written as ${top}`] : []),
      ...(float ? [`${fractional} ${vol.dtype} voxel(s) were rounded to integers`] : []),
    ];
    onLoss(`${parts.join('; ')}: PNG slices hold 0…${top}; write .nii.gz to keep every value`);
  }
  const written: string[] = [];
  for (let z = 0; z < D; z++) {
    const slice = vol.data.subarray(z * H * W, (z + 1) * H * W);
    const bytes = encodeVoxels(slice, deep ? 'uint16' : 'uint8');
    // sharp takes the sample depth from the array type: a Uint16Array is 16-bit raw input.
    const raw = deep ? new Uint16Array(bytes.buffer, bytes.byteOffset, H * W) : bytes;
    const img = sharp(raw, { raw: { width: W, height: H, channels: 1 } });
    // The colourspace must be named for 8-bit too, or libvips writes a grey slice as RGB.
    const png = await img.toColourspace(deep ? 'grey16' : 'b-w').png({ compressionLevel: 6 }).toBuffer();
    const name = frameName(pattern, z);
    writeFileAtomic(name, png, { fsync: false });
    written.push(name);
  }
  return written;
}
