/**
 * The analysis and linear synthesis stages (`analysis`, `linearSynthesis`) as object-mode
 * Transform streams, usable on their own or named in a filter graph. The stage's work on one frame
 * lives in src/stages/analysis.ts (re-exported here), so the codec, the trainers and the
 * classifiers in src/ call it without depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import { loadModel, type Model } from '../src/models/model-file.js';
import { analysisFromModel, asAnalysis, asSynthesis, type Analysis, type AnalysisConfig, type AnalysisConfigJSON, type LinearSynthesis, type LinearSynthesisConfig, type LinearSynthesisConfigJSON } from '../src/stages/analysis.js';

export * from '../src/stages/analysis.js';

/**
 * The analysis stage as an object-mode Transform: coeffs → latent (Float32Array, companded).
 * The config is validated once, here, not per frame.
 *
 * `model` is an Analysis or its config, a loaded codec model, or its name / folder.
 *
 * @example
 * await pipeline(source, wpt({ levels: 3 }), analysis('rgb-16x'), quantize(), pack(), sink);
 */
export function analysis(model: Analysis | AnalysisConfig | AnalysisConfigJSON | Model | string): Transform {
  const enc = typeof model === 'string' ? analysisFromModel(loadModel(model))
    : 'weights' in model && model.weights instanceof Map ? analysisFromModel(model as Model)
      : asAnalysis(model as Analysis | AnalysisConfig | AnalysisConfigJSON);
  return frameTransform((f: Frame) => enc.encode(f));
}

/**
 * The linear synthesis stage as an object-mode Transform: latent → coeffs.
 *
 * @example
 * await pipeline(reader, unpack(), linearSynthesis(dec), iwpt(), sink);
 */
export function linearSynthesis(model: LinearSynthesis | LinearSynthesisConfig | LinearSynthesisConfigJSON): Transform {
  const dec = asSynthesis(model);
  return frameTransform((f: Frame) => dec.decode(f));
}
