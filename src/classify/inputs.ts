/**
 * Classifier inputs: image frames → NHWC float32 sets, either a codec's int8 latents (exactly what
 * a .wlc stream carries) or the pixels themselves (the baseline). Used by the trainer, the
 * distillation teacher and the benchmarks.
 */
import type { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import { planarToNhwc } from './classifier.js';
import { decompanded, decompandOf } from './decompand.js';

/** A labelled set of classifier inputs, NHWC float32, all the same size. */
export interface InputSet {
  n: number;
  h: number;
  w: number;
  c: number;
  data: Float32Array;
  labels: Uint8Array;
}

/**
 * Turns image frames into classifier inputs: the codec's int8 latents, or the pixels.
 *
 * @example
 * const set = new InputMaker(Codec.load('fmnist-gray-j2')).build(n, (i) => greyFrame(train, i), (i) => train.labels[i]!);
 */
export class InputMaker {
  readonly codec?: Codec;
  /** Latents through the inverse companding (see ClassifierConfig.decompand), else as streams carry them. */
  readonly decompand?: { bits: number; scale: number[] };
  constructor(codec?: Codec, opts: { decompand?: boolean } = {}) {
    this.codec = codec;
    if (codec && opts.decompand) this.decompand = decompandOf(codec);
  }

  /** Planar values of one image's input ([N, H/2^J, W/2^J] latents or [C, H, W] pixels). */
  planar(img: ImageFrame): { data: ArrayLike<number>; shape: number[] } {
    if (!this.codec) return { data: img.data, shape: [...img.shape] };
    const latent = this.codec.latents(img);
    return { data: this.decompand ? decompanded(latent.data, latent.shape[0]!, this.decompand) : latent.data, shape: [...latent.shape] };
  }

  /** Builds the whole set, or refills `into` (same size and shape) without allocating a new one. */
  build(n: number, frameAt: (i: number) => ImageFrame, labelAt: (i: number) => number, progress?: (done: number) => void, into?: InputSet): InputSet {
    let set: InputSet | undefined = into?.n === n ? into : undefined;
    for (let i = 0; i < n; i++) {
      const { data, shape } = this.planar(frameAt(i));
      const [c, h, w] = shape as [number, number, number];
      set ??= { n, h, w, c, data: new Float32Array(n * c * h * w), labels: new Uint8Array(n) };
      if (c !== set.c || h !== set.h || w !== set.w) throw werr('WALLOC_ERR_DATASET', { path: 'inputs', reason: `image ${i} gives [${shape.join(', ')}], not [${set.c}, ${set.h}, ${set.w}]` });
      planarToNhwc(data, c, h * w, set.data, i * c * h * w);
      set.labels[i] = labelAt(i);
      if (progress && (i + 1) % 5000 === 0) progress(i + 1);
    }
    if (!set) throw werr('WALLOC_ERR_DATASET', { path: 'inputs', reason: 'no images' });
    return set;
  }
}

/**
 * Per-channel mean and standard deviation of NHWC values (a set's inputs, or a net's maps).
 *
 * @example
 * const { mean, std } = channelStats(trainSet); // the classifier's fixed input normalisation
 */
export function channelStats(set: Pick<InputSet, 'c' | 'data'>): { mean: Float32Array; std: Float32Array } {
  const { c } = set;
  const s = new Float64Array(c);
  const s2 = new Float64Array(c);
  const d = set.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    s[i % c] += v;
    s2[i % c] += v * v;
  }
  const per = d.length / c;
  const mean = new Float32Array(c);
  const std = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    mean[k] = s[k]! / per;
    std[k] = Math.sqrt(Math.max(1e-12, s2[k]! / per - mean[k]! ** 2));
  }
  // A channel that is almost always 0 in training (a quiet latent band) must not be blown up by
  // 1/std on the rare input where it is not: floor every std at 5% of the largest.
  const floor = 0.05 * Math.max(...std);
  for (let k = 0; k < c; k++) std[k] = Math.max(std[k]!, floor);
  return { mean, std };
}

/**
 * The codec's decoded images of `n` frames (its own decoder on its int8 latents, clamped), kept in
 * one array: what the latents hold (for a teacher that should see only that, or to measure it).
 *
 * @example
 * const decodedAt = await decodedFrames(codec, test.n, (i) => greyFrame(test, i));
 */
export async function decodedFrames(codec: Codec, n: number, frameAt: (i: number) => ImageFrame, progress?: (done: number) => void): Promise<(i: number) => ImageFrame> {
  const first = frameAt(0);
  const per = first.data.length;
  const all = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    all.set((await codec.decodeFrame(codec.latents(frameAt(i)))).data, i * per);
    if (progress && (i + 1) % 5000 === 0) progress(i + 1);
  }
  return (i) => ({ ...first, data: all.subarray(i * per, (i + 1) * per) });
}

