/**
 * `scale`: resize image frames with sharp (libvips), with ffmpeg's `scale=w:h` conventions for
 * the size: 0 keeps the input's value, -1 keeps the aspect ratio, -n keeps it and rounds to a
 * multiple of n.
 */
import sharp from 'sharp';
import { werr } from '../src/errors.js';
import { expectKind, makeFrame, type Frame } from '../src/frame.js';
import { frameTransform } from '../src/streams.js';
import { checkImageSize, resolveImageLimits } from '../src/io/limits.js';
import { defineFilter } from './definition.js';

export const SCALE_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'] as const;
export type ScaleKernel = (typeof SCALE_KERNELS)[number];

/**
 * Output size for ffmpeg-style `w`/`h` values (see the module comment).
 *
 * @example
 * scaledSize(1920, 1080, 640, -1); // [640, 360]
 * scaledSize(1920, 1080, -2, 101); // [180, 101] → width rounded to a multiple of 2
 */
export function scaledSize(iw: number, ih: number, w: number, h: number): [number, number] {
  if (w < 0 && h < 0) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'scale: w and h cannot both keep the aspect ratio' });
  let ow = w === 0 ? iw : w;
  let oh = h === 0 ? ih : h;
  const round = (v: number, n: number): number => Math.max(n, Math.round(v / n) * n);
  if (w < 0) ow = round((oh * iw) / ih, -w);
  if (h < 0) oh = round((ow * ih) / iw, -h);
  return [ow, oh];
}

/**
 * Resizes an image frame [C, H, W] (C = 1, 3 or 4) to w×h with sharp, at 16 bits per sample (no 8-bit rounding).
 *
 * @example
 * const half = await scaleImage(frame, 64, 48, 'lanczos3');
 */
export async function scaleImage(frame: Frame, w: number, h: number, kernel: ScaleKernel = 'lanczos3'): Promise<Frame<'image', Float32Array>> {
  const f = expectKind(frame, ['image'], 'scale') as Frame<'image', Float32Array>;
  const [c, ih, iw] = f.shape as [number, number, number];
  if (c !== 1 && c !== 3 && c !== 4) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `scale: resizes gray, rgb or rgba images (1, 3 or 4 channels), got ${c}` });
  const [ow, oh] = scaledSize(iw, ih, w, h);
  if (ow === iw && oh === ih) return f;
  // The same bounds as any decoded frame: 65535×65535 would ask libvips for 24 GB.
  checkImageSize(ow, oh, resolveImageLimits({}), 'scale output');
  const n = iw * ih;
  // Interleaved 16-bit samples: libvips keeps them exact when told the space is grey16/rgb16
  // (float input is reinterpreted as scRGB and comes back gamma-shifted). 1/65535 steps are far
  // below what an 8-bit source holds; values outside [-0.5, 0.5] are clamped.
  const MAX = 65535;
  const hwc = new Uint16Array(n * c);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < n; i++) hwc[i * c + ch] = Math.round(Math.min(1, Math.max(0, f.data[ch * n + i]! + 0.5)) * MAX);
  const { data } = await sharp(hwc, { raw: { width: iw, height: ih, channels: c as 1 | 3 | 4 }, limitInputPixels: false })
    .resize(ow, oh, { kernel, fit: 'fill' })
    .toColourspace(c === 1 ? 'grey16' : 'rgb16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  const res = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  const m = ow * oh;
  if (res.length !== m * c) throw werr('WALLOC_ERR_INTERNAL', { reason: `sharp returned ${res.length} samples for ${ow}×${oh}×${c}` });
  const out = new Float32Array(m * c);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < m; i++) out[ch * m + i] = res[i * c + ch]! / MAX - 0.5;
  return makeFrame('image', [c, oh, ow], out, { ...f.meta });
}

export const scaleFilter = defineFilter({
  name: 'scale',
  description: 'resize image frames (sharp/libvips, 16 bits per sample)',
  inputs: [{ name: 'default', kinds: ['image'] }],
  outputs: [{ name: 'default', kinds: ['image'], follows: 0 }],
  options: {
    w: { type: 'int', min: -64, max: 65535, default: 0, aliases: ['width'], help: 'output width; 0 = input width, -1 = keep aspect ratio, -n = keep it, multiple of n' },
    h: { type: 'int', min: -64, max: 65535, default: 0, aliases: ['height'], help: 'output height; same conventions as w' },
    kernel: { type: 'enum', choices: SCALE_KERNELS, default: 'lanczos3', help: 'interpolation kernel' },
  },
  details: 'Unlike ffmpeg, sizes are plain integers, not expressions such as iw/2.',
  examples: ['scale=640:-1', 'scale=w=256:h=256:kernel=cubic'],
  check: (o) => (o.w < 0 && o.h < 0 ? { option: 'w', reason: 'options "w" and "h" cannot both be negative (both would follow the other)' } : undefined),
  create: (o) => frameTransform((f: Frame) => scaleImage(f, o.w, o.h, o.kernel)),
});
