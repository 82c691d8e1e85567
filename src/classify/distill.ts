/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015) for `walloc train classifier --teacher`:
 * a trained classifier (typically the pixel CNN) labels every training image with its softened
 * class probabilities, and the student (the latent classifier) learns from those as well as from
 * the true labels:
 *
 *   loss = (1 − α) · CE(y, softmax(z)) + α · T² · CE(softmax(t / T), softmax(z / T))
 *
 * with z the student's logits, t the teacher's, T the temperature and α the weight. The teacher
 * only runs while training; the student still reads nothing but latents at inference, so its
 * speed and its inputs are those of any latent classifier. With `--augment` the teacher labels the
 * same flipped/shifted images the student sees that epoch.
 *
 * Several teachers (`--teacher a,b,c`) make an ensemble: the soft target is the mean of their
 * softened probabilities, which is better calibrated and more accurate than any one of them
 * (the usual way to get a stronger teacher without a bigger net; Hinton et al. §3).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import type { TfModule } from '../models/backend.js';
import { loadClassifier, type ClassifierModel } from './model.js';
import { ClassifierNet } from './nets.js';
import { applyAugment, augments, type AugmentConfig } from './augment.js';
import { InputMaker, type InputSet } from './inputs.js';

/** Distillation settings (`--teacher`, `--distill`, `--temperature`). */
export interface DistillOptions {
  /** Teacher classifier (bundled name or folder), or several: an ensemble. */
  teacher: string | readonly string[];
  /** α, the weight of the soft-target term (0 to 1). */
  weight: number;
  /** T, the softmax temperature of both sides in the soft term. */
  temperature: number;
  /**
   * Average the teacher's soft targets over each image and its left–right mirror (test-time
   * augmentation): steadier targets for twice the teacher's work. Default off.
   */
  mirror?: boolean;
  /**
   * What the teacher looks at: the original images (default), or what the student's codec keeps of
   * them, its decoded images (encode → int8 latents → the codec's own decoder). Soft targets of
   * decoded images are uncertain where the latents are, not where the originals are.
   */
  view?: 'original' | 'decoded';
}

export const DISTILL_DEFAULTS = { weight: 0.7, temperature: 4 } as const;

/** An image's left–right mirror. */
const mirrorOf = (img: ImageFrame): ImageFrame => applyAugment(img, { flip: true, dx: 0, dy: 0 });

/** One member of the (possibly one-net) teacher ensemble. */
interface Member {
  model: ClassifierModel;
  net: ClassifierNet;
  /** Members that read the same inputs (pixels, or one codec's latents) share them. */
  key: string;
}

/**
 * A loaded teacher, one net or an ensemble: turns image frames into each member's own inputs
 * (pixels or its codec's latents) and those into soft targets.
 *
 * @example
 * const t = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.7, temperature: 4 }, FASHION_LABELS);
 * const soft = t.targets(60000, (i) => greyFrame(train, i)); // [60000, 10] probabilities at T
 */
export class Teacher {
  readonly members: readonly Member[];
  readonly options: DistillOptions;
  private readonly tf: TfModule;
  private readonly makers: Map<string, InputMaker>;
  private readonly inputs = new Map<string, InputSet>();
  private readonly mirrored = new Map<string, InputSet>();

  private constructor(tf: TfModule, members: Member[], makers: Map<string, InputMaker>, options: DistillOptions) {
    this.tf = tf;
    this.members = members;
    this.makers = makers;
    this.options = options;
  }

  /** The first (or only) member's model. */
  get model(): ClassifierModel {
    return this.members[0]!.model;
  }

  /** `name@hash`, or the ensemble's ids joined by `+`. */
  get id(): string {
    return this.members.map((m) => m.model.id).join(' + ');
  }

  /** Loads the teacher(s) and checks each classifies the same labels, in the same order. */
  static load(tf: TfModule, options: DistillOptions, labels: readonly string[]): Teacher {
    if (!(options.weight >= 0 && options.weight <= 1)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--distill must be from 0 to 1, got ${options.weight}` });
    if (!(options.temperature > 0 && options.temperature <= 100)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--temperature must be above 0 (and at most 100), got ${options.temperature}` });
    const names = typeof options.teacher === 'string' ? [options.teacher] : [...options.teacher];
    if (names.length === 0 || names.some((n) => n.trim() === '')) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--teacher needs one classifier, or several separated by commas' });
    const members: Member[] = [];
    const makers = new Map<string, InputMaker>();
    try {
      for (const name of names) {
        const model = loadClassifier(name.trim());
        const c = model.config;
        if (c.window) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `teacher ${model.id} reads audio windows; distillation takes image classifiers` });
        if (c.labels.join('\n') !== labels.join('\n')) {
          throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `teacher ${model.id} has labels [${c.labels.join(', ')}], the data has [${labels.join(', ')}]` });
        }
        const key = c.input === 'latent' ? `latent:${c.codec!.encoderSha256}${c.decompand ? ':decompand' : ''}` : 'pixels';
        if (!makers.has(key)) makers.set(key, new InputMaker(c.input === 'latent' ? Codec.load(c.codec!.name) : undefined, { decompand: c.decompand !== undefined }));
        members.push({ model, net: ClassifierNet.fromConfig(tf, c.net, model.weights), key });
      }
    } catch (e) {
      for (const m of members) m.net.dispose();
      throw e;
    }
    return new Teacher(tf, members, makers, options);
  }

  /**
   * Soft targets of `n` images, [n, classes] row-major, into `into` when it fits: softmax(t / T)
   * averaged over the members (and over each image and its mirror with `mirror`). Each member's
   * inputs are built the way its own training built them, once per kind of input.
   */
  targets(n: number, frameAt: (i: number) => ImageFrame, into?: Float32Array): Float32Array {
    const k = this.members[0]!.net.config.classes;
    const out = into?.length === n * k ? into : new Float32Array(n * k);
    out.fill(0);
    const views = this.options.mirror ? 2 : 1;
    const share = 1 / (views * this.members.length);
    const flip = (i: number) => mirrorOf(frameAt(i));
    for (const [key, maker] of this.makers) {
      const plain = maker.build(n, frameAt, () => 0, undefined, this.inputs.get(key));
      this.inputs.set(key, plain);
      const mirrored = this.options.mirror ? maker.build(n, flip, () => 0, undefined, this.mirrored.get(key)) : undefined;
      if (mirrored) this.mirrored.set(key, mirrored);
      for (const m of this.members) {
        if (m.key !== key) continue;
        this.accumulate(m.net, plain, out, share);
        if (mirrored) this.accumulate(m.net, mirrored, out, share);
      }
    }
    return out;
  }

  /**
   * The first member's output maps of each of `stages` for `n` images (of their mirrors with
   * `mirrored`), NHWC, in batches, from one pass of its inputs: the targets of hint distillation
   * (src/classify/hint.ts).
   *
   * @example
   * const [s2, s3] = teacher.stageMaps([2, 3], n, frameAt, false); // 7×7×32 and 4×4×32 per image
   */
  stageMaps(stages: readonly number[], n: number, frameAt: (i: number) => ImageFrame, mirrored: boolean): Array<{ h: number; w: number; c: number; data: Float32Array }> {
    const tf = this.tf;
    const m = this.members[0]!;
    const at = mirrored ? (i: number) => mirrorOf(frameAt(i)) : frameAt;
    const set = this.makers.get(m.key)!.build(n, at, () => 0);
    const per = set.h * set.w * set.c;
    const out = stages.map(() => ({ h: 0, w: 0, c: 0, data: new Float32Array(0) }));
    const batch = 500;
    for (let s = 0; s < n; s += batch) {
      const b = Math.min(batch, n - s);
      const maps = tf.tidy(() => {
        const taps = m.net.stageOutputs(tf.tensor4d(set.data.subarray(s * per, (s + b) * per), [b, set.h, set.w, set.c]), Math.max(...stages));
        return stages.map((k) => taps[k]!);
      });
      maps.forEach((t, j) => {
        const [, h, w, c] = t.shape as [number, number, number, number];
        if (s === 0) out[j] = { h, w, c, data: new Float32Array(n * h * w * c) };
        out[j]!.data.set(t.dataSync() as Float32Array, s * h * w * c);
        t.dispose();
      });
    }
    return out;
  }

  /**
   * Whether soft targets stay the same every epoch under this augmentation (of fixed images): with
   * none, or with flips only when the targets are mirror-averaged (an image and its mirror get the
   * same target). Then the trainer computes them once instead of every epoch.
   */
  steadyUnder(aug: AugmentConfig): boolean {
    return !augments(aug) || (aug.shift === 0 && !!this.options.mirror);
  }

  /** Lets go of the inputs kept for reuse between calls (hundreds of MB for 60,000 images). */
  releaseInputs(): void {
    this.inputs.clear();
    this.mirrored.clear();
  }

  /** out += share · softmax(net(set) / T), in batches. */
  private accumulate(net: ClassifierNet, set: InputSet, out: Float32Array, share: number): void {
    const tf = this.tf;
    const k = net.config.classes;
    const per = set.h * set.w * set.c;
    const batch = 500;
    for (let s = 0; s < set.n; s += batch) {
      const b = Math.min(batch, set.n - s);
      const t = tf.tidy(() => tf.softmax(tf.div(net.apply(tf.tensor4d(set.data.subarray(s * per, (s + b) * per), [b, set.h, set.w, set.c])), this.options.temperature)));
      const p = t.dataSync() as Float32Array;
      t.dispose();
      for (let i = 0; i < b * k; i++) out[s * k + i] += share * p[i]!;
    }
  }

  /**
   * The distillation loss of a batch: logits [B, classes], one-hot labels and soft targets [B, classes].
   * Call inside the optimizer's closure.
   */
  loss(logits: tfTypes.Tensor2D, oneHot: tfTypes.Tensor2D, soft: tfTypes.Tensor2D): tfTypes.Scalar {
    const tf = this.tf;
    const { weight: a, temperature: T } = this.options;
    const hard = tf.losses.softmaxCrossEntropy(oneHot, logits);
    const softLoss = tf.losses.softmaxCrossEntropy(soft, tf.div(logits, T));
    return tf.add(tf.mul(hard, 1 - a), tf.mul(softLoss, a * T * T)) as tfTypes.Scalar;
  }

  /** What the model file records about the recipe. */
  describe(): Record<string, unknown> {
    const who = this.members.length === 1 ? { teacher: this.model.id } : { teachers: this.members.map((m) => m.model.id) };
    return { ...who, weight: this.options.weight, temperature: this.options.temperature, ...(this.options.mirror ? { mirror: true } : {}), ...(this.options.view === 'decoded' ? { view: 'decoded' } : {}) };
  }

  dispose(): void {
    for (const m of this.members) m.net.dispose();
  }
}
