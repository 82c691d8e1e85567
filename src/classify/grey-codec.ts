/**
 * The small grayscale codec for 28×28 Fashion-MNIST images: the same recipe as the RGB linear floor
 * (`walloc train codec --steps 0`, src/train/codec-trainer.ts) on one channel: bior4.4 wavelet
 * packets at J = 2 (16 coefficient channels at 7×7), a PCA projection to N latent channels, the
 * Gaussian-CDF companding scale max|y|/1.5 per channel fitted on the data, 8 bits, lossless WebP
 * packing, and the PCA transpose as decoder. It is an ordinary walloc model folder, so Codec,
 * walloc-encode/-decode and the .wlc header work on it unchanged.
 */
import { fitScale } from '../stages/companding.js';
import { saveModel, type Model } from '../models/model-file.js';
import { project } from '../stages/analysis.js';
import { wptForward } from '../stages/wpt.js';
import { CovarianceAccumulator, pcaProjection } from '../train/pca.js';
import { greyFrame, type GreyImages } from './fashion-mnist.js';

export interface GreyCodecOptions {
  out: string;
  name: string;
  levels: number;
  latentDim: number;
  /** Images used for the PCA and the scale (the first ones of the training split). */
  images: number;
  scaleDivisor: number;
  log?: (line: string) => void;
}

export const GREY_CODEC_DEFAULTS = { levels: 2, latentDim: 8, images: 10_000, scaleDivisor: 1.5 } as const;

/**
 * Fits and saves the codec; returns the model.
 *
 * @example
 * buildGreyCodec(loadFashionMnist('train'), { ...GREY_CODEC_DEFAULTS, out: 'fixtures/models/fmnist-gray-j2', name: 'fmnist-gray-j2' });
 */
export function buildGreyCodec(train: GreyImages, o: GreyCodecOptions): Model {
  const dim = 4 ** o.levels;
  const n = Math.min(o.images, train.n);
  const acc = new CovarianceAccumulator(dim);
  const coeffs: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const c = wptForward(greyFrame(train, i), { levels: o.levels, wavelet: 'bior4.4' });
    acc.addPlanar(c.data, dim, c.data.length / dim);
    coeffs.push(c.data);
  }
  const pca = pcaProjection(acc, o.latentDim);
  const per = coeffs[0]!.length / dim;
  const all = new Float32Array(o.latentDim * per * n);
  const tmp = new Float32Array(o.latentDim * per);
  coeffs.forEach((c, i) => {
    project(c, dim, pca.weight, pca.bias, o.latentDim, tmp);
    for (let ch = 0; ch < o.latentDim; ch++) all.set(tmp.subarray(ch * per, (ch + 1) * per), ch * per * n + i * per);
  });
  const scale = fitScale(all, o.latentDim, o.scaleDivisor);
  o.log?.(`PCA keeps ${(pca.explained * 100).toFixed(2)}% of the ${dim}-channel coefficient variance in ${o.latentDim} channels`);
  const lw = new Float32Array(o.latentDim * dim);
  lw.set(pca.weight);
  return saveModel(o.out, {
    name: o.name,
    description: `Grey 28×28 codec for Fashion-MNIST: J=${o.levels} bior4.4 wavelet packets, PCA encoder to ${o.latentDim} channels, 8 bits, PCA transpose as decoder`,
    modality: 'image', channels: 1, levels: o.levels, wavelet: 'bior4.4', latentDim: o.latentDim, bits: 8,
    pack: { format: 'webp' }, decoder: { type: 'linear' },
    training: {
      recipe: 'walloc train classifier --grey-codec (src/classify/grey-codec.ts)', data: 'fashion-mnist train split', images: n,
      encoder: 'PCA (frozen)', companding: `max|y|/${o.scaleDivisor} per channel`, explained: Number(pca.explained.toFixed(5)),
    },
  }, new Map([
    ['encoder.weight', { shape: [o.latentDim, dim], data: pca.weight }],
    ['encoder.bias', { shape: [o.latentDim], data: pca.bias }],
    ['encoder.scale', { shape: [o.latentDim], data: scale }],
    ['decoder.linear.weight', { shape: [1, 1, o.latentDim, dim], data: lw }],
    ['decoder.linear.bias', { shape: [dim], data: Float32Array.from(pca.mean) }],
  ]));
}
