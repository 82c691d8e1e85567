/**
 * The bookkeeping every trainable net here does with its named tfjs variables: make them (from
 * saved weights or a seeded initialisation), count and look them up, read them out as named float
 * arrays (the model file's currency), overwrite some of them, dispose them all.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';

import type { NamedWeights } from '../models/model-file.js';

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

/**
 * How a new variable starts when no saved weights are given: zeros, or normal with standard
 * deviation √(2/fan-in) (He, before a ReLU) or √(1/fan-in) ('glorot', a linear layer), fan-in being
 * the product of all axes but the last (kh·kw·cin for a conv kernel, cin for a dense one).
 */
export type VariableInit = 'zeros' | 'he' | 'glorot';

/**
 * A trainable variable: `given` weights when present, else `init` with the random seed `seed`.
 * Unnamed: tfjs variable names are global, and several nets may live in one process.
 *
 * @example
 * vars.set('head.weight', newVariable(tf, [512, 10], 'glorot', 7, weights?.get('head.weight')));
 */
export function newVariable(
  tf: TfModule, shape: number[], init: VariableInit, seed: number, given?: { data: Float32Array },
): tfTypes.Variable {
  let t: tfTypes.Tensor;
  if (given) t = tf.tensor(given.data, shape);
  else if (init === 'zeros') t = tf.zeros(shape);
  else {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    t = tf.randomNormal(shape, 0, Math.sqrt((init === 'he' ? 2 : 1) / fanIn), 'float32', seed);
  }
  const v = tf.variable(t, true);
  t.dispose();
  return v;
}

/**
 * Number of trainable values in the variables (optionally only those `keep` accepts).
 *
 * @example
 * parameterCount(net.vars); // 35210
 */
export function parameterCount(vars: ReadonlyMap<string, tfTypes.Variable>, keep?: (name: string) => boolean): number {
  let n = 0;
  for (const [name, v] of vars) if (!keep || keep(name)) n += v.size;
  return n;
}

/**
 * The variable called `name`; a missing one is a bug in the net (`owner` says which), not bad input.
 *
 * @example
 * const w = variableOf(this.vars, 'stage0.conv.weight', 'classifier');
 */
export function variableOf(vars: ReadonlyMap<string, tfTypes.Variable>, name: string, owner: string): tfTypes.Variable {
  const t = vars.get(name);
  if (!t) throw new Error(`${owner} variable ${name} missing`);
  return t;
}
