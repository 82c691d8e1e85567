/**
 * The pack and unpack stages (`pack`, `unpack`) as object-mode Transform streams, usable on their
 * own or named in a filter graph. The stage's work on one frame lives in src/stages/pack.ts
 * (re-exported here), so the codec, the trainers and the classifiers in src/ call it without
 * depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import { checkPackOptions, packFrame, unpackFrame, type PackOptions } from '../src/stages/pack.js';

export * from '../src/stages/pack.js';

/**
 * The pack stage as an object-mode Transform stream: latent (Int8Array) → packed.
 *
 * @example
 * await pipeline(source, wpt({ levels: 3 }), analysis(enc), quantize(), pack({ format: 'webp' }), writer);
 */
export function pack(options: PackOptions = {}): Transform {
  checkPackOptions(options);
  return frameTransform((f: Frame) => packFrame(f, options));
}

/**
 * The unpack stage as an object-mode Transform stream: packed → latent (Int8Array).
 *
 * @example
 * await pipeline(reader, unpack(), dequantize(), synthesis(model), sink);
 */
export function unpack(): Transform {
  return frameTransform((f: Frame) => unpackFrame(f));
}
