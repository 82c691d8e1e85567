/**
 * Inference: a loaded classifier that turns latent frames (packed from a .wlc stream, int8 after
 * unpack, or the float output of analysis) into predictions, without decoding them. Pixel
 * classifiers (the baseline) take image frames.
 *
 * Inputs are the companded latent values as they are, in ±127 for 8 bits: int8 from a stream, or the
 * unrounded `encoder[:2]` output (research/walloc.md §3). The net normalises them itself.
 */
import type { WlcHeader } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { getTf, type TfModule } from '../models/backend.js';
import { resolveMaxLatentValues, unpackFrame } from '../stages/pack.js';
import { checkClassifierHeader, loadClassifier, type ClassifierModel } from './model.js';
import { ClassifierNet } from './nets.js';
import { decompanded } from './decompand.js';

export interface Prediction {
  label: string | null;
  score: number;
  /** Best first: [label, probability]. */
  top: Array<[string, number]>;
}

/** Planar [C, H, W] values (any typed array) → NHWC float32 at `out[offset…]`. */
export function planarToNhwc(data: ArrayLike<number>, c: number, hw: number, out: Float32Array = new Float32Array(c * hw), offset = 0): Float32Array {
  for (let ch = 0; ch < c; ch++) {
    const base = ch * hw;
    for (let p = 0; p < hw; p++) out[offset + p * c + ch] = data[base + p]!;
  }
  return out;
}

/** Turns softmax probabilities into a prediction (top K, threshold on the best score). */
export function predictionOf(probs: ArrayLike<number>, labels: readonly string[], topK = 3, threshold = 0): Prediction {
  const order = Array.from(labels.keys()).sort((a, b) => probs[b]! - probs[a]!);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const best = order[0]!;
  const score = round(probs[best]!);
  return {
    label: probs[best]! >= threshold ? labels[best]! : null,
    score,
    top: order.slice(0, Math.max(1, Math.min(topK, labels.length))).filter((i, k) => k === 0 || probs[i]! >= threshold).map((i) => [labels[i]!, round(probs[i]!)]),
  };
}

export class Classifier {
  readonly model: ClassifierModel;
  readonly net: ClassifierNet;
  readonly tf: TfModule;
  private readonly maxLatentValues: number;

  private constructor(tf: TfModule, model: ClassifierModel, maxLatentValues?: number) {
    this.tf = tf;
    this.model = model;
    this.net = ClassifierNet.fromConfig(tf, model.config.net, model.weights);
    this.maxLatentValues = resolveMaxLatentValues(maxLatentValues);
  }

  /**
   * Loads a classifier (bundled name or folder) on the best TensorFlow.js backend.
   *
   * @example
   * const c = await Classifier.load('fmnist-latent-resnet');
   * const p = await c.classifyFrame(packedFrame); // { label: 'sneaker', score: 0.97, top: [...] }
   */
  static async load(nameOrPath: string, opts: { backend?: string; maxLatentValues?: number } = {}): Promise<Classifier> {
    const model = loadClassifier(nameOrPath);
    const { tf } = await getTf({ backend: opts.backend });
    return new Classifier(tf, model, opts.maxLatentValues);
  }

  get labels(): string[] {
    return this.model.config.labels;
  }

  /** Refuses a stream made by a codec this classifier was not trained on (WALLOC_ERR_CLASSIFIER_CODEC). */
  checkHeader(h: WlcHeader): void {
    checkClassifierHeader(this.model.config, h);
  }

  /** Softmax probabilities [B × classes] for NHWC input. */
  probabilities(nhwc: Float32Array, b: number, h: number, w: number): Float32Array {
    const tf = this.tf;
    const c = this.model.config.net.inChannels;
    const t = tf.tidy(() => tf.softmax(this.net.apply(tf.tensor4d(nhwc, [b, h, w, c]))));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  /** The NHWC input of one frame, after unpacking packed latents. */
  async inputOf(frame: Frame): Promise<{ data: Float32Array; h: number; w: number }> {
    const cfg = this.model.config;
    let f = frame;
    if (cfg.input === 'latent') {
      if (f.kind === 'packed') f = await unpackFrame(f, { maxValues: this.maxLatentValues });
      if (f.kind !== 'latent') throw werr('WALLOC_ERR_FRAME_KIND', { stage: `classifier ${cfg.name}`, expected: 'latent or packed', actual: f.kind });
    } else if (f.kind !== 'image') {
      throw werr('WALLOC_ERR_FRAME_KIND', { stage: `classifier ${cfg.name}`, expected: 'image', actual: f.kind });
    }
    const c = cfg.net.inChannels;
    if (f.shape.length !== 3 || f.shape[0] !== c) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `classifier ${cfg.name} takes [${c}, H, W] ${cfg.input === 'latent' ? 'latents' : 'images'}, got [${f.shape.join(', ')}]` });
    }
    if (cfg.input === 'latent' && f.meta.bits !== undefined && cfg.codec && f.meta.bits !== cfg.codec.bits) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latents have ${f.meta.bits} bits but classifier ${cfg.name} expects ${cfg.codec.bits}` });
    }
    const [, h, w] = f.shape as [number, number, number];
    const size = cfg.net.head === 'flatten' ? cfg.net.inputSize : undefined;
    if (size && (size[0] !== h || size[1] !== w)) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `classifier ${cfg.name} takes ${size[0]}×${size[1]} ${cfg.input === 'latent' ? 'latents' : 'images'} (it was trained on that size), got ${h}×${w}` });
    }
    const values = cfg.decompand && f.kind === 'latent' ? decompanded(f.data as ArrayLike<number>, c, cfg.decompand) : f.data;
    return { data: planarToNhwc(values, c, h * w), h, w };
  }

  /**
   * Classifies one frame.
   *
   * @example
   * for await (const f of reader) console.log(await c.classifyFrame(f, { top: 3 }));
   */
  async classifyFrame(frame: Frame, opts: { top?: number; threshold?: number } = {}): Promise<Prediction> {
    const { data, h, w } = await this.inputOf(frame);
    return predictionOf(this.probabilities(data, 1, h, w), this.labels, opts.top ?? 3, opts.threshold ?? 0);
  }

  dispose(): void {
    this.net.dispose();
  }
}
