/**
 * The synthesis stage (`synthesis`: the decoder net) as object-mode Transform streams, usable on
 * their own or named in a filter graph. The stage's work on one frame lives in
 * src/stages/synthesis.ts (re-exported here), so the codec, the trainers and the classifiers in
 * src/ call it without depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import type { Model } from '../src/models/model-file.js';
import { Synthesizer, type SynthesisOptions } from '../src/stages/synthesis.js';

export * from '../src/stages/synthesis.js';

/**
 * The synthesis stage as a Transform stream (latent frames in, coeffs frames out).
 *
 * @example
 * await pipeline(reader, unpack(), dequantize(), await synthesis(model), iwpt(), pngSink('out.png'));
 */
export async function synthesis(model: Model, opts: SynthesisOptions = {}): Promise<Transform> {
  const syn = await Synthesizer.create(model, opts);
  const t = frameTransform((f: Frame) => syn.decode(f));
  t.on('close', () => syn.dispose());
  return t;
}
