/**
 * The quantize and dequantize stages (`quantize`, `dequantize`) as object-mode Transform streams,
 * usable on their own or named in a filter graph. The stage's work on one frame lives in
 * src/stages/quantize.ts (re-exported here), so the codec, the trainers and the classifiers in
 * src/ call it without depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import { dequantizeFrame, quantizeFrame, type QuantizeOptions } from '../src/stages/quantize.js';
import { checkBits } from '../src/stages/companding.js';

export * from '../src/stages/quantize.js';

/**
 * The quantize stage as an object-mode Transform stream: latent (Float32Array) → latent (Int8Array).
 *
 * @example
 * await pipeline(source, wpt({ levels: 3 }), analysis(model), quantize(), pack({ format: 'webp' }), sink);
 */
export function quantize(options: QuantizeOptions = {}): Transform {
  if (options.bits !== undefined) checkBits(options.bits);
  return frameTransform((f: Frame) => quantizeFrame(f, options));
}

/**
 * The dequantize stage as an object-mode Transform stream: latent (Int8Array) → latent (Float32Array).
 *
 * @example
 * await pipeline(reader, unpack(), dequantize(), synthesis(model), sink);
 */
export function dequantize(options: Pick<QuantizeOptions, 'bits'> = {}): Transform {
  return frameTransform((f: Frame) => dequantizeFrame(f, options));
}
