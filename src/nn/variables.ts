/**
 * The bookkeeping every trainable net here does with its named tfjs variables: read them out as
 * named float arrays (the model file's currency), overwrite some of them, dispose them all.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';

/** Named float arrays with their shapes: what model files store. */
export type NamedWeights = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * The current values of named variables, as named float arrays.
 *
 * @example
 * saveModel(dir, config, readWeights(net.vars));
 */
export function readWeights(vars: ReadonlyMap<string, tfTypes.Variable>): NamedWeights {
  const out: NamedWeights = new Map();
  for (const [name, v] of vars) out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
  return out;
}

/**
 * Overwrites the variables named in `weights` (others are left alone; unknown names are ignored).
 *
 * @example
 * assignWeights(tf, decoder.vars, pcaWeights);
 */
export function assignWeights(tf: TfModule, vars: ReadonlyMap<string, tfTypes.Variable>, weights: NamedWeights): void {
  for (const [name, { shape, data }] of weights) {
    const v = vars.get(name);
    if (v) v.assign(tf.tensor(data, shape));
  }
}

/**
 * Disposes every variable and empties the map.
 *
 * @example
 * disposeVariables(net.vars);
 */
export function disposeVariables(vars: Map<string, tfTypes.Variable>): void {
  for (const v of vars.values()) v.dispose();
  vars.clear();
}
