/**
 * Training-time augmentation for the classifiers, applied to the *image* before it is encoded, so
 * a latent classifier sees exactly the latents a stream of the flipped or shifted image would
 * carry (flipping latents directly would not be equivalent: the wavelet packet channels and the
 * learned projection do not commute with a flip). Encoding a 28×28 image costs about 0.03 ms, so
 * re-encoding the whole training set every epoch is cheap.
 *
 * - `flip`: mirror left–right with probability ½ (garments, scenes and textures keep their class).
 * - `shift=S`: translate by a uniform integer in [−S, S] on each axis, repeating the edge pixels
 *   (Fashion-MNIST's border is background; a photo crop keeps its texture).
 */
import { werr } from '../errors.js';
import { makeFrame, type ImageFrame } from '../frame.js';

export interface AugmentConfig {
  flip: boolean;
  /** Largest translation in pixels, each axis. */
  shift: number;
}

export const NO_AUGMENT: Readonly<AugmentConfig> = { flip: false, shift: 0 };

/** True when the config changes anything. */
export function augments(a: AugmentConfig): boolean {
  return a.flip || a.shift > 0;
}

/**
 * Parses `--augment`: a comma list of `flip` and `shift=S`, or `none`.
 *
 * @example
 * parseAugment('flip,shift=2'); // { flip: true, shift: 2 }
 */
export function parseAugment(text: string): AugmentConfig {
  const out: AugmentConfig = { flip: false, shift: 0 };
  if (text.trim() === '' || text.trim() === 'none') return out;
  for (const part of text.split(',')) {
    const p = part.trim();
    const m = /^shift=(\d+)$/.exec(p);
    if (p === 'flip') out.flip = true;
    else if (m && Number(m[1]) <= 16) out.shift = Number(m[1]);
    else throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--augment wants a comma list of flip and shift=S (S ≤ 16), or none; got "${text}"` });
  }
  return out;
}

/** `flip,shift=2` style text of a config (stored in the model's training record). */
export function augmentText(a: AugmentConfig): string {
  const parts = [...(a.flip ? ['flip'] : []), ...(a.shift ? [`shift=${a.shift}`] : [])];
  return parts.length ? parts.join(',') : 'none';
}

/** One image's random choices: mirrored or not, and its shift on each axis. */
export interface AugmentDraw {
  flip: boolean;
  dx: number;
  dy: number;
}

/**
 * Draws one image's augmentation from `next`, a seeded uniform generator in [0, 1)
 * (src/train/photos.ts `rng`): flip first, then dx, then dy.
 *
 * @example
 * const d = drawAugment({ flip: true, shift: 2 }, rng(1)); // { flip: true, dx: -1, dy: 2 }
 */
export function drawAugment(a: AugmentConfig, next: () => number): AugmentDraw {
  const flip = a.flip && next() < 0.5;
  const dx = a.shift ? Math.floor(next() * (2 * a.shift + 1)) - a.shift : 0;
  const dy = a.shift ? Math.floor(next() * (2 * a.shift + 1)) - a.shift : 0;
  return { flip, dx, dy };
}

/**
 * A randomly flipped and shifted copy of an image frame ([C, H, W]); `next` is a seeded uniform
 * generator in [0, 1) (src/train/photos.ts `rng`). Returns the frame itself when nothing applies.
 *
 * @example
 * const seen = augmentImage(greyFrame(train, i), { flip: true, shift: 2 }, rng(1));
 */
export function augmentImage(img: ImageFrame, a: AugmentConfig, next: () => number): ImageFrame {
  return applyAugment(img, drawAugment(a, next));
}

/**
 * The image moved as `d` says: mirrored left–right, then shifted by (dx, dy) with the edge pixels
 * repeated. Returns the frame itself when `d` changes nothing.
 *
 * @example
 * const again = applyAugment(greyFrame(train, i), { flip: true, dx: -1, dy: 2 });
 */
export function applyAugment(img: ImageFrame, d: AugmentDraw): ImageFrame {
  const { flip, dx, dy } = d;
  if (!flip && dx === 0 && dy === 0) return img;
  const [c, h, w] = img.shape as [number, number, number];
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let k = 0; k < c; k++) {
    const base = k * h * w;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - dy));
      const row = base + sy * w;
      const o = base + y * w;
      for (let x = 0; x < w; x++) {
        const sx0 = Math.min(w - 1, Math.max(0, x - dx));
        out[o + x] = src[row + (flip ? w - 1 - sx0 : sx0)]!;
      }
    }
  }
  return makeFrame('image', [c, h, w], out, img.meta);
}
