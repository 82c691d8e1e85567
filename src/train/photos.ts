/**
 * Training data for image codecs: a folder tree of photographs decoded once into memory (8-bit RGB,
 * a few hundred MB for a hundred photos) and sampled as random crops with a seeded generator, so a
 * run is reproducible and resumable at a given step.
 */
import sharp from 'sharp';
import { werr } from '../errors.js';
import { listFiles } from '../io/walk.js';
import { makeFrame, type ImageFrame } from '../frame.js';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);

export interface Photo {
  path: string;
  width: number;
  height: number;
  /** Interleaved RGB bytes. */
  rgb: Uint8Array;
}

/** Lists image files under a folder (recursively), sorted for reproducibility. */
export function listImages(dir: string): string[] {
  return listFiles(dir, IMAGE_EXTENSIONS);
}

/**
 * Decodes one image file to 8-bit RGB (alpha flattened onto white, greyscale expanded).
 *
 * @example
 * const { rgb, width, height } = await decodeRgb('photo.jpg');
 */
export async function decodeRgb(path: string, maxPixels = Infinity): Promise<Photo> {
  let img = sharp(path, { limitInputPixels: 400_000_000 }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb');
  const meta = await sharp(path).metadata();
  const w0 = meta.autoOrient?.width ?? meta.width ?? 0;
  const h0 = meta.autoOrient?.height ?? meta.height ?? 0;
  if (w0 * h0 > maxPixels) {
    // Halve until under the cap: integer factors keep the resampling simple and the content real.
    let f = 1;
    while ((w0 / f) * (h0 / f) > maxPixels) f *= 2;
    img = img.resize(Math.floor(w0 / f), Math.floor(h0 / f), { kernel: 'lanczos3' });
  }
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw werr('WALLOC_ERR_DATASET', { path, reason: `decoded to ${info.channels} channels, expected 3` });
  return { path, width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Loads every image of a folder into memory. */
export async function loadPhotos(dir: string, opts: { maxPixels?: number; minSide?: number; onProgress?: (done: number, total: number) => void; onSkip?: (path: string, reason: string) => void } = {}): Promise<Photo[]> {
  const files = listImages(dir);
  if (files.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no images (png, jpg, webp, tif) found' });
  const out: Photo[] = [];
  for (const [i, f] of files.entries()) {
    // One unreadable file must not stop a long run: it is reported and skipped.
    try {
      const p = await decodeRgb(f, opts.maxPixels);
      if (Math.min(p.width, p.height) >= (opts.minSide ?? 1)) out.push(p);
      else opts.onSkip?.(f, `smaller than ${opts.minSide} px on a side`);
    } catch (e) {
      opts.onSkip?.(f, (e as Error).message);
    }
    opts.onProgress?.(i + 1, files.length);
  }
  if (out.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no usable images' });
  return out;
}

/**
 * Cuts a size×size crop at (x, y) into a planar image frame in [-0.5, 0.5], optionally mirrored.
 *
 * @example
 * const frame = cropFrame(photo, 0, 0, 128, false);
 */
export function cropFrame(p: Photo, x: number, y: number, size: number, flip: boolean, out = new Float32Array(3 * size * size)): ImageFrame {
  const plane = size * size;
  for (let r = 0; r < size; r++) {
    const src = ((y + r) * p.width + x) * 3;
    for (let c = 0; c < size; c++) {
      const s = src + (flip ? size - 1 - c : c) * 3;
      const d = r * size + c;
      out[d] = p.rgb[s]! / 255 - 0.5;
      out[plane + d] = p.rgb[s + 1]! / 255 - 0.5;
      out[2 * plane + d] = p.rgb[s + 2]! / 255 - 0.5;
    }
  }
  return makeFrame('image', [3, size, size], out, { sourceShape: [3, size, size] });
}

/**
 * Draws a random crop: photos are picked with probability proportional to their area, so large
 * photos are not under-sampled.
 */
export function randomCrop(photos: Photo[], size: number, next: () => number): ImageFrame {
  let total = 0;
  for (const p of photos) total += p.width * p.height;
  let pick = next() * total;
  let photo = photos[photos.length - 1]!;
  for (const p of photos) {
    pick -= p.width * p.height;
    if (pick <= 0) {
      photo = p;
      break;
    }
  }
  const x = Math.floor(next() * (photo.width - size + 1));
  const y = Math.floor(next() * (photo.height - size + 1));
  return cropFrame(photo, x, y, size, next() < 0.5);
}
