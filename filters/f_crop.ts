/** `crop`: cut a rectangle out of image frames, with ffmpeg's `crop=w:h:x:y` conventions. */
import { werr } from '../src/errors.js';
import { expectKind, makeFrame, type Frame } from '../src/frame.js';
import { frameTransform } from '../src/streams.js';
import { defineFilter } from './definition.js';

export interface CropOptions {
  w?: number;
  h?: number;
  x?: number;
  y?: number;
}

/**
 * Crops an image frame [C, H, W]. Width and height default to the input's, x and y to a centred
 * rectangle (as ffmpeg's `crop`); the crop must fit inside the frame.
 *
 * @example
 * cropImage(frame, { w: 64, h: 64 }).shape; // [3, 64, 64], centred
 */
export function cropImage(frame: Frame, o: CropOptions): Frame<'image', Float32Array> {
  const f = expectKind(frame, ['image'], 'crop') as Frame<'image', Float32Array>;
  const [c, ih, iw] = f.shape as [number, number, number];
  const w = o.w ?? iw;
  const h = o.h ?? ih;
  const x = o.x ?? Math.floor((iw - w) / 2);
  const y = o.y ?? Math.floor((ih - h) / 2);
  if (x < 0 || y < 0 || x + w > iw || y + h > ih) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `crop ${w}×${h} at (${x}, ${y}) does not fit in a ${iw}×${ih} image` });
  }
  const out = new Float32Array(c * w * h);
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < h; r++) {
      const src = ch * ih * iw + (y + r) * iw + x;
      out.set(f.data.subarray(src, src + w), (ch * h + r) * w);
    }
  }
  return makeFrame('image', [c, h, w], out, { ...f.meta });
}

export const cropFilter = defineFilter({
  name: 'crop',
  description: 'cut a rectangle out of image frames',
  inputs: [{ name: 'default', kinds: ['image'] }],
  outputs: [{ name: 'default', kinds: ['image'], follows: 0 }],
  options: {
    w: { type: 'int', min: 1, aliases: ['out_w'], auto: 'the input width', help: 'width of the crop' },
    h: { type: 'int', min: 1, aliases: ['out_h'], auto: 'the input height', help: 'height of the crop' },
    x: { type: 'int', min: 0, auto: 'centred', help: 'left edge' },
    y: { type: 'int', min: 0, auto: 'centred', help: 'top edge' },
  },
  details: 'Unlike ffmpeg, values are plain integers, not expressions.',
  examples: ['crop=64:64', 'crop=w=128:h=96:x=0:y=0'],
  create: (o) => frameTransform((f: Frame) => cropImage(f, o)),
});
