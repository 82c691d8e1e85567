/**
 * The low-rank decoder stage (`lowrank`) as object-mode Transform streams, usable on their own or
 * named in a filter graph. The stage's work on one frame lives in src/stages/lowrank.ts
 * (re-exported here), so the codec, the trainers and the classifiers in src/ call it without
 * depending on this folder.
 */
import type { Transform } from 'node:stream';
import { frameTransform } from '../src/streams.js';
import type { Frame } from '../src/frame.js';
import type { VqModel } from '../src/vq/model.js';
import { LowRankStageDecoder } from '../src/stages/lowrank.js';

export * from '../src/stages/lowrank.js';

/**
 * The lowrank stage as an object-mode Transform: tokens → image.
 *
 * @example
 * await pipeline(reader, vqunpack(), lowrank('/work/runs/vq/lowrank-r2i2'), sink);
 */
export function lowrank(model: VqModel | string): Transform {
  const dec = LowRankStageDecoder.fromModel(model);
  return frameTransform((f: Frame) => dec.decode(f));
}
