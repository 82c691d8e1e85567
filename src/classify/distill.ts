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
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import type { TfModule } from '../models/backend.js';
import { loadClassifier, type ClassifierModel } from './model.js';
import { ClassifierNet } from './nets.js';
import { augmentImage } from './augment.js';
import { InputMaker, type InputSet } from './inputs.js';

/** Distillation settings (`--teacher`, `--distill`, `--temperature`). */
export interface DistillOptions {
  /** Teacher classifier: bundled name or folder. */
  teacher: string;
  /** α, the weight of the soft-target term (0 to 1). */
  weight: number;
  /** T, the softmax temperature of both sides in the soft term. */
  temperature: number;
  /**
   * Average the teacher's soft targets over each image and its left–right mirror (test-time
   * augmentation): steadier targets for twice the teacher's work. Default off.
   */
  mirror?: boolean;
}

export const DISTILL_DEFAULTS = { weight: 0.7, temperature: 4 } as const;

/**
 * A loaded teacher: turns image frames into its own inputs (pixels or its codec's latents) and
 * those into soft targets.
 *
 * @example
 * const t = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.7, temperature: 4 }, FASHION_LABELS);
 * const soft = t.targets(60000, (i) => greyFrame(train, i)); // [60000, 10] probabilities at T
 */
export class Teacher {
  readonly model: ClassifierModel;
  readonly options: DistillOptions;
  private readonly tf: TfModule;
  private readonly net: ClassifierNet;
  private readonly maker: InputMaker;
  private inputs?: InputSet;
  private mirrored?: InputSet;

  private constructor(tf: TfModule, model: ClassifierModel, options: DistillOptions, codec?: Codec) {
    this.tf = tf;
    this.model = model;
    this.options = options;
    this.net = ClassifierNet.fromConfig(tf, model.config.net, model.weights);
    this.maker = new InputMaker(codec);
  }

  /** Loads the teacher and checks it classifies the same labels, in the same order. */
  static load(tf: TfModule, options: DistillOptions, labels: readonly string[]): Teacher {
    if (!(options.weight >= 0 && options.weight <= 1)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--distill must be from 0 to 1, got ${options.weight}` });
    if (!(options.temperature > 0 && options.temperature <= 100)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--temperature must be above 0 (and at most 100), got ${options.temperature}` });
    const model = loadClassifier(options.teacher);
    const c = model.config;
    if (c.window) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `teacher ${model.id} reads audio windows; distillation takes image classifiers` });
    if (c.labels.join('\n') !== labels.join('\n')) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `teacher ${model.id} has labels [${c.labels.join(', ')}], the data has [${labels.join(', ')}]` });
    }
    const codec = c.input === 'latent' ? Codec.load(c.codec!.name) : undefined;
    return new Teacher(tf, model, options, codec);
  }

  /**
   * Soft targets softmax(t / T) of `n` images, [n, classes] row-major, into `into` when it fits.
   * The teacher's inputs are built the way its own training built them.
   */
  targets(n: number, frameAt: (i: number) => ImageFrame, into?: Float32Array): Float32Array {
    const k = this.net.config.classes;
    const out = into?.length === n * k ? into : new Float32Array(n * k);
    this.inputs = this.maker.build(n, frameAt, () => 0, undefined, this.inputs);
    this.softmax(this.inputs, out, 1);
    if (this.options.mirror) {
      const next = () => 0; // always below ½: augmentImage flips every image
      this.mirrored = this.maker.build(n, (i) => augmentImage(frameAt(i), { flip: true, shift: 0 }, next), () => 0, undefined, this.mirrored);
      this.softmax(this.mirrored, out, 0.5, 0.5);
    }
    return out;
  }

  /** out = keep·out + add·softmax(teacher(set) / T), in batches. */
  private softmax(set: InputSet, out: Float32Array, add: number, keep = 0): void {
    const tf = this.tf;
    const k = this.net.config.classes;
    const per = set.h * set.w * set.c;
    const batch = 500;
    for (let s = 0; s < set.n; s += batch) {
      const b = Math.min(batch, set.n - s);
      const t = tf.tidy(() => tf.softmax(tf.div(this.net.apply(tf.tensor4d(set.data.subarray(s * per, (s + b) * per), [b, set.h, set.w, set.c])), this.options.temperature)));
      const p = t.dataSync() as Float32Array;
      t.dispose();
      for (let i = 0; i < b * k; i++) out[s * k + i] = keep === 0 ? add * p[i]! : keep * out[s * k + i]! + add * p[i]!;
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
    return { teacher: this.model.id, weight: this.options.weight, temperature: this.options.temperature, ...(this.options.mirror ? { mirror: true } : {}) };
  }

  dispose(): void {
    this.net.dispose();
  }
}
