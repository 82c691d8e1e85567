/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017), as Debian's `dataset-fashion-mnist` installs it:
 * gzipped IDX files (big-endian header: magic, dimensions, then unsigned bytes) under
 * /usr/share/datasets/fashion-mnist/. 60,000 training and 10,000 test images, 28×28 grey, 10 classes.
 *
 * Also the colour rendering used for the RGB classifier (docs/classify.md): each garment is
 * upscaled to 56×56 (bilinear), tinted with a random colour and laid onto a random 64×64 crop of a
 * real photograph from the project's photo set, so the RGB task has real texture behind real
 * garment shapes. The garment's grey level is its opacity: `out = bg·(1−a) + colour·a`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { werr } from '../errors.js';
import { makeFrame, type ImageFrame } from '../frame.js';
import type { Photo } from '../train/photos.js';

/** Class names, in label order (the dataset's own README). */
export const FASHION_LABELS = ['t-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'] as const;

/** Where Debian puts the files; `WALLOC_FASHION_MNIST` overrides it. */
export function fashionMnistDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WALLOC_FASHION_MNIST || '/usr/share/datasets/fashion-mnist';
}

/** True when both splits are installed (tests skip otherwise). */
export function hasFashionMnist(dir = fashionMnistDir()): boolean {
  return ['train', 't10k'].every((s) => existsSync(join(dir, `${s}-images-idx3-ubyte.gz`)) && existsSync(join(dir, `${s}-labels-idx1-ubyte.gz`)));
}

export interface GreyImages {
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  /** n × height × width bytes, row-major, 0 = background. */
  pixels: Uint8Array;
  /** n labels in 0..9. */
  labels: Uint8Array;
}

/**
 * Parses one IDX file (optionally gzipped) into its dimensions and unsigned-byte data.
 *
 * @example
 * const { dims, data } = readIdx(readFileSync('t10k-labels-idx1-ubyte.gz')); // dims [10000]
 */
export function readIdx(bytes: Uint8Array, path = 'IDX'): { dims: number[]; data: Uint8Array } {
  let b = bytes;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b);
    } catch (e) {
      throw werr('WALLOC_ERR_DATASET', { path, reason: `bad gzip data (${(e as Error).message})` });
    }
  }
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw werr('WALLOC_ERR_DATASET', { path, reason: 'not an IDX file (bad magic)' });
  if (b[2] !== 0x08) throw werr('WALLOC_ERR_DATASET', { path, reason: `IDX type 0x${b[2]!.toString(16)} is not unsigned bytes` });
  const rank = b[3]!;
  if (rank < 1 || rank > 4 || b.length < 4 + 4 * rank) throw werr('WALLOC_ERR_DATASET', { path, reason: `bad IDX rank ${rank}` });
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, c) => a * c, 1);
  const start = 4 + 4 * rank;
  if (b.length < start + size) throw werr('WALLOC_ERR_DATASET', { path, reason: `truncated: ${b.length - start} of ${size} data bytes` });
  return { dims, data: b.subarray(start, start + size) };
}

/**
 * Loads one split ('train': 60,000 images, 'test': 10,000), optionally only the first `limit`.
 *
 * @example
 * const test = loadFashionMnist('test', { limit: 1000 });
 */
export function loadFashionMnist(split: 'train' | 'test', opts: { dir?: string; limit?: number } = {}): GreyImages {
  const dir = opts.dir ?? fashionMnistDir();
  const stem = split === 'train' ? 'train' : 't10k';
  const read = (name: string) => {
    const p = join(dir, name);
    if (!existsSync(p)) throw werr('WALLOC_ERR_DATASET', { path: p, reason: 'not found (install Debian\'s dataset-fashion-mnist or set WALLOC_FASHION_MNIST)' });
    return readIdx(readFileSync(p), p);
  };
  const img = read(`${stem}-images-idx3-ubyte.gz`);
  const lab = read(`${stem}-labels-idx1-ubyte.gz`);
  if (img.dims.length !== 3 || lab.dims.length !== 1 || img.dims[0] !== lab.dims[0]) {
    throw werr('WALLOC_ERR_DATASET', { path: dir, reason: `image dims [${img.dims.join(', ')}] do not match label dims [${lab.dims.join(', ')}]` });
  }
  const n = Math.min(img.dims[0]!, opts.limit ?? Infinity);
  const [, height, width] = img.dims as [number, number, number];
  const labels = lab.data.slice(0, n);
  for (const l of labels) if (l >= FASHION_LABELS.length) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: `label ${l} out of range` });
  return { n, height, width, pixels: img.data.slice(0, n * height * width), labels };
}

/**
 * Image `i` as a grey image frame [1, H, W] in [-0.5, 0.5] (the codec's convention, white garment
 * on black as in the dataset).
 */
export function greyFrame(set: GreyImages, i: number): ImageFrame {
  const p = set.height * set.width;
  const out = new Float32Array(p);
  const src = set.pixels.subarray(i * p, (i + 1) * p);
  for (let k = 0; k < p; k++) out[k] = src[k]! / 255 - 0.5;
  return makeFrame('image', [1, set.height, set.width], out, { sourceShape: [1, set.height, set.width] });
}

/** Side of the colour rendering. */
export const COLOR_SIZE = 64;

/**
 * Renders garment `i` in colour on a real-photo background: a [3, 64, 64] image frame in
 * [-0.5, 0.5]. `next` is a seeded generator (src/train/photos.ts `rng`); with no photos the
 * background is a random flat colour.
 *
 * @example
 * const f = colorFrame(test, 0, photos, rng(1));
 */
export function colorFrame(set: GreyImages, i: number, photos: readonly Photo[], next: () => number, size = COLOR_SIZE): ImageFrame {
  const S = size;
  const g = Math.round((S * 7) / 8); // 56 for 64: the garment, centred with a margin
  const off = (S - g) >> 1;
  const out = new Float32Array(3 * S * S);
  // Background: a random crop of a random photo, or a flat colour.
  const photo = photos.length ? photos[Math.floor(next() * photos.length)]! : undefined;
  if (photo && photo.width >= S && photo.height >= S) {
    const x0 = Math.floor(next() * (photo.width - S + 1));
    const y0 = Math.floor(next() * (photo.height - S + 1));
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const s = ((y0 + y) * photo.width + x0 + x) * 3;
        for (let c = 0; c < 3; c++) out[c * S * S + y * S + x] = photo.rgb[s + c]! / 255;
      }
    }
  } else {
    const bg = [next(), next(), next()];
    for (let c = 0; c < 3; c++) out.fill(bg[c]!, c * S * S, (c + 1) * S * S);
  }
  // A saturated random colour for the garment (hue uniform, value high enough to be seen).
  const h = next() * 6;
  const sat = 0.5 + 0.5 * next();
  const val = 0.6 + 0.4 * next();
  const k = Math.floor(h);
  const f = h - k;
  const pq = [val * (1 - sat), val * (1 - sat * f), val * (1 - sat * (1 - f))];
  const rgb = [[val, pq[2]!, pq[0]!], [pq[1]!, val, pq[0]!], [pq[0]!, val, pq[2]!], [pq[0]!, pq[1]!, val], [pq[2]!, pq[0]!, val], [val, pq[0]!, pq[1]!]][k % 6]!;
  const W = set.width;
  const H = set.height;
  const src = set.pixels.subarray(i * W * H, (i + 1) * W * H);
  for (let y = 0; y < g; y++) {
    const sy = Math.max(0, Math.min(H - 1, ((y + 0.5) * H) / g - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(H - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < g; x++) {
      const sx = Math.max(0, Math.min(W - 1, ((x + 0.5) * W) / g - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(W - 1, x0 + 1);
      const fx = sx - x0;
      const a = ((1 - fy) * ((1 - fx) * src[y0 * W + x0]! + fx * src[y0 * W + x1]!) + fy * ((1 - fx) * src[y1 * W + x0]! + fx * src[y1 * W + x1]!)) / 255;
      const d = (off + y) * S + off + x;
      for (let c = 0; c < 3; c++) out[c * S * S + d] = out[c * S * S + d]! * (1 - a) + rgb[c]! * a;
    }
  }
  for (let j = 0; j < out.length; j++) out[j] = out[j]! - 0.5;
  return makeFrame('image', [3, S, S], out, { sourceShape: [3, S, S] });
}
