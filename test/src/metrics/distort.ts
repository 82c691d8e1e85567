/**
 * The integer-exact distortions of test/fixtures-gen/metrics.py, rebuilt here so the reference
 * values can be checked without storing distorted images. Input and output: interleaved HWC RGB.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../../src/paths.js';

export type Distortion = 'pattern' | 'blur' | 'noise' | 'posterize';

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

export function distort(kind: Distortion, x: Uint8Array | Uint8ClampedArray, w: number, h: number, c = 3): Uint8Array {
  const out = new Uint8Array(x.length);
  if (kind === 'pattern') {
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) {
      const n = (i * w + j) * c + k;
      out[n] = clamp(Math.floor((x[n]! * 29) / 32) + ((3 * i + 5 * j + 7 * k) % 11) - 5 + 8);
    }
  } else if (kind === 'blur') {
    const at = (i: number, j: number, k: number): number =>
      x[(Math.min(h - 1, Math.max(0, i)) * w + Math.min(w - 1, Math.max(0, j))) * c + k]!;
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) {
      let s = 0;
      for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) s += at(i + di, j + dj, k);
      out[(i * w + j) * c + k] = Math.floor((s + 4) / 9);
    }
  } else if (kind === 'noise') {
    let s = 12345;
    for (let n = 0; n < x.length; n++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[n] = clamp(x[n]! + ((s >>> 24) % 21) - 10);
    }
  } else {
    for (let n = 0; n < x.length; n++) out[n] = (x[n]! >> 5) * 32 + 16;
  }
  return out;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A fixture photo as interleaved 8-bit RGB. */
export async function loadPhoto(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(join(packageRoot(), 'fixtures', 'images', file))
    .removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
