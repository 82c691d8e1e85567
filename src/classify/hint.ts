/**
 * Hint distillation (FitNets, Romero et al. 2015) for `walloc train classifier --hint S:T`: besides
 * the teacher's soft targets (src/classify/distill.ts), the student's stage S output map learns to
 * predict the teacher's stage T map of the same image through a 1×1 convolution (the regressor):
 *
 *   loss += β · mean over positions and channels of (W ∗ s + b − t̂)²
 *
 * where t̂ is the teacher's map standardised per channel over the training set (so β means the
 * same whatever the teacher's scale). For the latent classifier this tells the 7×7 stem what the
 * pixel CNN sees at 7×7 after three stages of full-resolution work, which the labels and soft
 * targets only say through the logits. The regressors exist only while training; the saved
 * student is the same net, with the same speed, as without hints.
 *
 * The teacher's maps are computed once per training image and view (plain, and mirrored when the
 * training flips images), so hints need training images that do not change from epoch to epoch
 * other than by flips (`--augment flip` or none).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import type { TfModule } from '../models/backend.js';
import { newVariable } from '../nn/variables.js';
import type { Teacher } from './distill.js';
import { finalSize, type ClassifierNet } from './nets.js';
import { channelStats } from './inputs.js';

/** One hint: the student's stage and the teacher's stage whose maps it learns to predict. */
export interface HintPair {
  student: number;
  teacher: number;
}

export interface HintOptions {
  pairs: HintPair[];
  /** β, the weight of the hint loss beside the classification loss. */
  weight: number;
}

export const HINT_DEFAULTS = { weight: 1 } as const;

/**
 * Parses `--hint`: comma-separated `S:T` pairs (student stage : teacher stage).
 *
 * @example
 * parseHints('0:2,1:3'); // [{ student: 0, teacher: 2 }, { student: 1, teacher: 3 }]
 */
export function parseHints(text: string): HintPair[] {
  const pairs = text.split(',').map((p) => /^\s*(\d+):(\d+)\s*$/.exec(p));
  if (pairs.length === 0 || pairs.some((m) => !m)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--hint wants student:teacher stage pairs separated by commas (e.g. 0:2,1:3), got "${text}"` });
  return pairs.map((m) => ({ student: Number(m![1]), teacher: Number(m![2]) }));
}

/** One pair's targets: the teacher's standardised maps of every image and view, NHWC. */
interface PairTargets {
  pair: HintPair;
  h: number;
  w: number;
  c: number;
  /** [views][n][h][w][c]. */
  maps: Float32Array;
  weight: tfTypes.Variable;
  bias: tfTypes.Variable;
}

/** Spatial size of stage `stage`'s map for an H×W input. */
function stageSize(net: ClassifierNet, stage: number, h: number, w: number): [number, number] {
  return finalSize({ ...net.config, stages: net.config.stages.slice(0, stage + 1) }, h, w);
}

/**
 * The teacher's maps of the training images and the regressors that map the student's maps to
 * them.
 *
 * @example
 * const hints = Hints.build(tf, teacher, student, [7, 7], { pairs: parseHints('0:2'), weight: 1 }, n, frameAt, true);
 * hints.fill(batchImages, flipped, buf); // per step, then inside the loss:
 * const taps = []; const z = student.apply(x, true, taps); const l = hints.loss(taps, buf, batchImages.length);
 */
export class Hints {
  readonly options: HintOptions;
  private readonly tf: TfModule;
  private readonly targets: PairTargets[];
  private readonly n: number;

  private constructor(tf: TfModule, options: HintOptions, targets: PairTargets[], n: number) {
    this.tf = tf;
    this.options = options;
    this.targets = targets;
    this.n = n;
  }

  /**
   * Computes the teacher's maps of `n` images (and of their mirrors with `mirrored`) and makes the
   * regressors. `inputSize` is the student's input [H, W]; each pair's maps must have the same
   * spatial size on both sides.
   */
  static build(tf: TfModule, teacher: Teacher, student: ClassifierNet, inputSize: [number, number], options: HintOptions, n: number, frameAt: (i: number) => ImageFrame, mirrored: boolean, seed = 1): Hints {
    if (!(options.weight > 0 && options.weight <= 1000)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--hint-weight must be above 0 (and at most 1000), got ${options.weight}` });
    const tnet = teacher.members[0]!.net;
    for (const { student: s, teacher: t } of options.pairs) {
      if (s >= student.config.stages.length) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--hint ${s}:${t}: the student has stages 0 to ${student.config.stages.length - 1}` });
      if (t >= tnet.config.stages.length) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--hint ${s}:${t}: the teacher ${teacher.model.id} has stages 0 to ${tnet.config.stages.length - 1}` });
    }
    // Every pair's maps of a view come from one pass of the teacher over the images.
    const stages = options.pairs.map((p) => p.teacher);
    const plain = teacher.stageMaps(stages, n, frameAt, false);
    const flipped = mirrored ? teacher.stageMaps(stages, n, frameAt, true) : undefined;
    const targets: PairTargets[] = [];
    try {
      for (const [k, pair] of options.pairs.entries()) {
        const { student: s, teacher: t } = pair;
        const views = [plain[k]!, ...(flipped ? [flipped[k]!] : [])];
        const { h, w, c } = views[0]!;
        const [sh, sw] = stageSize(student, s, ...inputSize);
        if (sh !== h || sw !== w) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--hint ${s}:${t}: the student's stage ${s} map is ${sh}×${sw}, the teacher's stage ${t} map ${h}×${w}` });
        const per = n * h * w * c;
        const maps = new Float32Array(views.length * per);
        views.forEach((v, i) => maps.set(v.data, i * per));
        // Standardise per channel over all images and views (a dead channel is floored, not blown up).
        const { mean, std } = channelStats({ c, data: maps });
        for (let i = 0; i < maps.length; i++) maps[i] = (maps[i]! - mean[i % c]!) / std[i % c]!;
        const cs = student.config.stages[s]!.width;
        targets.push({
          pair, h, w, c, maps,
          weight: newVariable(tf, [cs, c], 'glorot', seed * 7919 + 101 + k),
          bias: newVariable(tf, [c], 'zeros', 0),
        });
      }
    } catch (e) {
      for (const p of targets) { p.weight.dispose(); p.bias.dispose(); }
      throw e;
    }
    return new Hints(tf, options, targets, n);
  }

  /** The regressors' variables (trained with the student's, never saved). */
  get variables(): tfTypes.Variable[] {
    return this.targets.flatMap((p) => [p.weight, p.bias]);
  }

  /** Floats per image of all pairs' targets. */
  get perImage(): number {
    return this.targets.reduce((a, p) => a + p.h * p.w * p.c, 0);
  }

  /**
   * Copies the targets of a batch into `into` (pairs one after another, each [B, h, w, c]):
   * image `ks[i]`, its mirrored view where `flipped(ks[i])`.
   */
  fill(ks: ArrayLike<number>, flipped: (k: number) => boolean, into: Float32Array): void {
    let o = 0;
    for (const p of this.targets) {
      const per = p.h * p.w * p.c;
      const views = p.maps.length / (this.n * per);
      for (let i = 0; i < ks.length; i++) {
        const k = ks[i]!;
        const v = views > 1 && flipped(k) ? 1 : 0;
        into.set(p.maps.subarray((v * this.n + k) * per, (v * this.n + k + 1) * per), o);
        o += per;
      }
    }
  }

  /**
   * β · mean squared error between the regressed student maps and the batch's targets (as `fill`
   * wrote them for `b` images). Call inside the optimizer's closure.
   */
  loss(taps: readonly tfTypes.Tensor4D[], targets: Float32Array, b: number): tfTypes.Scalar {
    const tf = this.tf;
    let o = 0;
    let total: tfTypes.Scalar | undefined;
    for (const p of this.targets) {
      const size = b * p.h * p.w * p.c;
      const s = taps[p.pair.student]!;
      const r = tf.add(tf.matMul(tf.reshape(s, [b * p.h * p.w, s.shape[3]]), p.weight as tfTypes.Tensor2D), p.bias);
      const t = tf.tensor2d(targets.subarray(o, o + size), [b * p.h * p.w, p.c]);
      const l = tf.mean(tf.squaredDifference(r, t)) as tfTypes.Scalar;
      total = total ? (tf.add(total, l) as tfTypes.Scalar) : l;
      o += size;
    }
    return tf.mul(total!, this.options.weight) as tfTypes.Scalar;
  }

  /** What the model file records about the recipe. */
  describe(): Record<string, unknown> {
    return { pairs: this.targets.map((p) => `${p.pair.student}:${p.pair.teacher}`).join(','), weight: this.options.weight };
  }

  dispose(): void {
    for (const p of this.targets) {
      p.weight.dispose();
      p.bias.dispose();
    }
  }
}
