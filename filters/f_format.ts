/**
 * `format`: make image frames one of the listed pixel formats, converting to the first when a
 * frame is none of them, as ffmpeg's `format=pix_fmts=rgb24|gray` negotiates.
 */
import { werr } from '../src/errors.js';
import { expectKind, makeFrame, type Frame } from '../src/frame.js';
import { frameTransform } from '../src/streams.js';
import { defineFilter } from './definition.js';

export type PixelFormat = 'gray' | 'rgb' | 'rgba';
const BY_CHANNELS: Readonly<Record<number, PixelFormat>> = { 1: 'gray', 3: 'rgb', 4: 'rgba' };
/** Alpha of an opaque pixel in walloc's [-0.5, 0.5] range. */
const OPAQUE = 0.5;

/**
 * Converts an image frame to `to`. rgb → gray is BT.601 luma; gray → rgb copies the plane;
 * rgba → rgb drops alpha (no compositing: walloc's images are opaque once read); → rgba adds an
 * opaque alpha plane.
 *
 * @example
 * convertPixels(rgbFrame, 'gray').shape; // [1, H, W]
 */
export function convertPixels(frame: Frame, to: PixelFormat): Frame<'image', Float32Array> {
  const f = expectKind(frame, ['image'], 'format') as Frame<'image', Float32Array>;
  const [c, h, w] = f.shape as [number, number, number];
  const from = BY_CHANNELS[c];
  if (from === undefined) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `format: an image with ${c} channels is not gray, rgb or rgba` });
  if (from === to) return f;
  const n = h * w;
  const plane = (i: number): Float32Array => f.data.subarray(i * n, (i + 1) * n);
  const rgb: Float32Array[] = from === 'gray' ? [plane(0), plane(0), plane(0)] : [plane(0), plane(1), plane(2)];
  let planes: Float32Array[];
  if (to === 'gray') {
    const y = new Float32Array(n);
    const [r, g, b] = rgb as [Float32Array, Float32Array, Float32Array];
    // Luma on [0, 1] values; the -0.5 offset cancels because the weights sum to 1.
    for (let i = 0; i < n; i++) y[i] = 0.299 * r[i]! + 0.587 * g[i]! + 0.114 * b[i]!;
    planes = [y];
  } else if (to === 'rgb') planes = rgb;
  else planes = [...rgb, new Float32Array(n).fill(OPAQUE)];
  const out = new Float32Array(planes.length * n);
  planes.forEach((p, i) => out.set(p, i * n));
  return makeFrame('image', [planes.length, h, w], out, { ...f.meta });
}

export const formatFilter = defineFilter({
  name: 'format',
  description: 'convert image frames to one of the listed pixel formats (the first when none matches)',
  inputs: [{ name: 'default', kinds: ['image'] }],
  outputs: [{ name: 'default', kinds: ['image'], follows: 0 }],
  options: {
    pix_fmts: { type: 'enum', list: true, choices: ['rgb', 'gray', 'rgba'], required: true, help: "accepted pixel formats, separated by '|'" },
  },
  examples: ['format=rgb', 'format=pix_fmts=rgb|gray'],
  create: (o) => frameTransform((f: Frame) => {
    const c = BY_CHANNELS[f.shape[0] ?? 0];
    return c !== undefined && o.pix_fmts.includes(c) && f.kind === 'image' ? f : convertPixels(f, o.pix_fmts[0] as PixelFormat);
  }),
});
