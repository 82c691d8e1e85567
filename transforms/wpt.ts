/**
 * The wavelet packet stages (`wpt`, `iwpt`) as object-mode Transform streams, usable on their own
 * or named in a filter graph. The stage's work on one frame lives in src/stages/wpt.ts
 * (re-exported here), so the codec, the trainers and the classifiers in src/ call it without
 * depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import { resolveOptions, wptForward, wptInverse, type WptOptions } from '../src/stages/wpt.js';

export * from '../src/stages/wpt.js';

/**
 * Forward stage as an object-mode Transform: image/audio/volume frames in, coeffs frames out.
 * Options are checked when the stage is built, so a bad graph fails before any data flows.
 *
 * @example
 * await pipeline(imageSource, wpt({ levels: 3, wavelet: 'bior4.4' }), coeffsSink);
 */
export function wpt(opts: WptOptions = {}): Transform {
  resolveOptions(opts);
  return frameTransform((f: Frame) => wptForward(f, opts));
}

/**
 * Inverse stage as an object-mode Transform: coeffs frames in, the original media frames out.
 *
 * @example
 * await pipeline(coeffsSource, iwpt(), imageSink);
 */
export function iwpt(): Transform {
  return frameTransform((f: Frame) => wptInverse(f));
}
