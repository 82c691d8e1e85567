/**
 * The VQ-VAE token stages (`vq`, `unvq`, `vqpack`, `vqunpack`) as object-mode Transform streams,
 * usable on their own or named in a filter graph. The stage's work on one frame lives in
 * src/stages/vq.ts (re-exported here), so the codec, the trainers and the classifiers in src/ call
 * it without depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import type { VqModel } from '../src/vq/model.js';
import { VqCodec } from '../src/vq/vq-codec.js';
import { packTokensFrame, unpackTokensFrame, vqDecodeFrame, vqEncodeFrame } from '../src/stages/vq.js';

export * from '../src/stages/vq.js';

type ModelArg = string | VqModel | VqCodec;
const codecOf = (m: ModelArg, backend?: string): Promise<VqCodec> => (m instanceof VqCodec ? Promise.resolve(m) : VqCodec.load(m, backend === undefined ? {} : { backend }));

/**
 * The vq stage: image frames → tokens frames through a VQ-VAE (loaded once, on first use).
 *
 * @example
 * await pipeline(source, vq('vqvae-mnist-k128'), vqpack(), new WlcWriter({ header }), sink);
 */
export function vq(model: ModelArg, opts: { backend?: string } = {}): Transform {
  let codec: Promise<VqCodec> | undefined;
  return frameTransform(async (f: Frame) => vqEncodeFrame(f, await (codec ??= codecOf(model, opts.backend))));
}

/**
 * The unvq stage: tokens frames → decoded image frames.
 *
 * @example
 * await pipeline(reader, vqunpack(), unvq('vqvae-mnist-k128'), sink);
 */
export function unvq(model: ModelArg, opts: { backend?: string } = {}): Transform {
  let codec: Promise<VqCodec> | undefined;
  return frameTransform(async (f: Frame) => vqDecodeFrame(f, await (codec ??= codecOf(model, opts.backend))));
}

/**
 * The vqpack stage: tokens → packed (bit-packed tokens).
 *
 * @example
 * await pipeline(source, vq(model), vqpack(), writer);
 */
export function vqpack(opts: { codebook?: number } = {}): Transform {
  return frameTransform((f: Frame) => packTokensFrame(f, opts.codebook));
}

/**
 * The vqunpack stage: packed tokens → tokens, bit-exact.
 *
 * @example
 * await pipeline(reader, vqunpack(), unvq(model), sink);
 */
export function vqunpack(): Transform {
  return frameTransform((f: Frame) => unpackTokensFrame(f));
}
