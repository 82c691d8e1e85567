/**
 * Rate–distortion evaluation of an image codec on a folder of photos: per image and on average,
 * bits per pixel (of the whole .wlc file, header included), compression ratio, PSNR, SSIM, MS-SSIM,
 * encode and decode time; optionally lossy WebP at the same number of bytes beside it. Result keys
 * follow CompressAI's `eval_model` JSON (`bpp`, `psnr-rgb`, `ms-ssim-rgb`, `encoding_time`,
 * `decoding_time`) so the numbers drop into the same plots.
 */
import { relative } from 'node:path';
import { Codec } from '../codec/codec.js';
import { writeWlc } from '../container/index.js';
import { werr } from '../errors.js';
import { readOrSkip, type OnSkip } from './skip.js';
import type { ImageFrame } from '../frame.js';
import { readImage, imageToRgbBytes } from '../io/image.js';
import { listImages } from '../train/photos.js';
import { msSsim, psnr, ssim } from '../metrics/index.js';
import { webpAtSize } from '../compare/webp.js';

export interface ImageScore {
  file: string;
  width: number;
  height: number;
  bytes: number;
  bpp: number;
  ratio: number;
  'psnr-rgb': number;
  'ssim-rgb': number;
  'ms-ssim-rgb': number;
  /** Seconds. */
  encoding_time: number;
  decoding_time: number;
  webp?: { quality: number; bytes: number; bpp: number; 'psnr-rgb': number; 'ssim-rgb': number; 'ms-ssim-rgb': number; encoding_time: number; decoding_time: number };
}

export interface EvalSummary {
  name: string;
  description: string;
  images: number;
  megapixels: number;
  /** Means over images, CompressAI style, plus the pixel-weighted compression ratio. */
  results: Record<string, number>;
  webp?: Record<string, number>;
  perImage: ImageScore[];
  /** Files that could not be read as images. */
  skipped: string[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function summarise(scores: ImageScore[], pick: (s: ImageScore) => { bytes: number; 'psnr-rgb': number; 'ssim-rgb': number; 'ms-ssim-rgb': number; encoding_time: number; decoding_time: number; bpp: number }): Record<string, number> {
  const rows = scores.map(pick);
  const pixels = scores.reduce((a, s) => a + s.width * s.height, 0);
  const bytes = rows.reduce((a, r) => a + r.bytes, 0);
  return {
    bpp: mean(rows.map((r) => r.bpp)),
    ratio: (24 * pixels) / (8 * bytes),
    'psnr-rgb': mean(rows.map((r) => r['psnr-rgb'])),
    'ssim-rgb': mean(rows.map((r) => r['ssim-rgb'])),
    'ms-ssim-rgb': mean(rows.map((r) => r['ms-ssim-rgb'])),
    encoding_time: mean(rows.map((r) => r.encoding_time)),
    decoding_time: mean(rows.map((r) => r.decoding_time)),
    'encode_mp_per_s': pixels / 1e6 / rows.reduce((a, r) => a + r.encoding_time, 0),
    'decode_mp_per_s': pixels / 1e6 / rows.reduce((a, r) => a + r.decoding_time, 0),
  };
}

/**
 * Evaluates a codec on every image under `dir` (recursively).
 *
 * @example
 * const r = await evalImages('data/photos/eval', { model: 'rgb-16x', compareWebp: true });
 * console.log(r.results['psnr-rgb'], r.webp?.['psnr-rgb']);
 */
export async function evalImages(dir: string, opts: { model: string; compareWebp?: boolean; backend?: string; limit?: number; onImage?: (s: ImageScore, i: number, n: number) => void; onSkip?: OnSkip }): Promise<EvalSummary> {
  const files = listImages(dir).slice(0, opts.limit ?? Infinity);
  if (files.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no images found' });
  const codec = Codec.load(opts.model, { backend: opts.backend });
  const scores: ImageScore[] = [];
  const skipped: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const img = await readOrSkip(relative(dir, file), () => readImage(file), (f, why) => { skipped.push(f); opts.onSkip?.(f, why); });
      if (!img) continue;
      const [, h, w] = img.shape as [number, number, number];
      const t0 = performance.now();
      const packed = await codec.encodeFrame(img);
      const wlc = writeWlc(codec.header({ shape: [...img.shape], frames: 1 }), [packed]);
      const t1 = performance.now();
      const back = (await codec.decodeFrame(packed)) as ImageFrame;
      const t2 = performance.now();
      const s: ImageScore = {
        file: relative(dir, file), width: w, height: h, bytes: wlc.length, bpp: (8 * wlc.length) / (w * h), ratio: (24 * w * h) / (8 * wlc.length),
        'psnr-rgb': psnr(img, back), 'ssim-rgb': ssim(img, back), 'ms-ssim-rgb': msSsim(img, back).value,
        encoding_time: (t1 - t0) / 1000, decoding_time: (t2 - t1) / 1000,
      };
      if (opts.compareWebp) {
        const r = await webpAtSize(imageToRgbBytes(img), w, h, wlc.length);
        s.webp = {
          quality: r.quality, bytes: r.bytes, bpp: r.bpp, 'psnr-rgb': r.psnr, 'ssim-rgb': r.ssim, 'ms-ssim-rgb': r.msSsim?.value ?? NaN,
          encoding_time: r.encodeMs / 1000, decoding_time: r.decodeMs / 1000,
        };
      }
      scores.push(s);
      opts.onImage?.(s, i, files.length);
    }
  } finally {
    codec.dispose();
  }
  if (scores.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no readable images' });
  const c = codec.model.config;
  return {
    name: codec.model.id,
    description: c.description,
    images: scores.length,
    megapixels: scores.reduce((a, s) => a + s.width * s.height, 0) / 1e6,
    results: summarise(scores, (s) => s),
    ...(opts.compareWebp ? { webp: summarise(scores, (s) => ({ ...s.webp! })) } : {}),
    perImage: scores,
    skipped,
  };
}
