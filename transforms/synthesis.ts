/**
 * The synthesis stage (`synthesis`: the decoder net) as object-mode Transform streams, usable on
 * their own or named in a filter graph. The stage's work on one frame lives in
 * src/stages/synthesis.ts (re-exported here), so the codec, the trainers and the classifiers in
 * src/ call it without depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import { loadModel, type Model } from '../src/models/model-file.js';
import { Synthesizer, type SynthesisOptions } from '../src/stages/synthesis.js';

export * from '../src/stages/synthesis.js';

/**
 * The synthesis stage as a Transform stream (latent frames in, coeffs frames out).
 *
 * `model` is a loaded model or its name / folder, as {@link loadModel} takes.
 *
 * @example
 * await pipeline(reader, unpack(), dequantize(), await synthesis('rgb-16x'), iwpt(),
 *   async (frames) => { let i = 0; for await (const f of frames) await writeImage(f, `out-${++i}.png`); });
 */
export async function synthesis(model: Model | string, opts: SynthesisOptions = {}): Promise<Transform> {
  const syn = await Synthesizer.create(typeof model === 'string' ? loadModel(model) : model, opts);
  const t = frameTransform((f: Frame) => syn.decode(f));
  t.on('close', () => syn.dispose());
  return t;
}
