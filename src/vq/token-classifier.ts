/**
 * The token classifier of the VQ-VAE classification study and its pixel baseline:
 *
 * - `tokens`: each of the 49 tokens is embedded into 32 dimensions (a learnt [K, 32] table),
 *   flattened (49 × 32 = 1568), then Linear(1568, 128), ReLU, Linear(128, 10). It reads the tokens
 *   of a .wlc stream as they are: no decoding, no convolution.
 * - `pixel-cnn`: the study's CNN baseline on pixels (the PyTorch MNIST example's net):
 *   conv 3×3 (1→32), ReLU, conv 3×3 (32→64), ReLU, max-pool 2, flatten (12·12·64 = 9216),
 *   Linear(9216, 128), ReLU, Linear(128, 10); 1.2 M parameters. Its dropout layers are left out
 *   (both nets train without regularisation, so the comparison stays one of inputs).
 *
 * Both train with the same data, epochs, batch and optimizer (`walloc train token-classifier`), and
 * the trainer records the seconds spent in the training loop, the parameter count and the size of
 * the weights, which is what the study's table compares.
 *
 * Model folders have `kind: 'token-classifier'`; a tokens classifier records the VQ-VAE whose
 * tokens it reads (name, sha256, tokensSha256) and refuses streams of another codebook
 * (WALLOC_ERR_CLASSIFIER_CODEC).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { WlcHeader } from '../container/index.js';
import { werr } from '../errors.js';
import { checkModelFolder } from '../io/atomic.js';
import type { Frame } from '../frame.js';
import { getTf, type TfModule } from '../models/backend.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, readWeightsFolder, resolveModelDir, writeWeightsFolder } from '../models/model-file.js';
import { convSame } from '../nn/conv.js';
import { matMulFast } from '../nn/matmul.js';
import { predictionOf, type Prediction } from '../classify/classifier.js';
import type { NamedWeights } from '../models/model-file.js';
import { rng, shuffled } from '../math/random.js';
import { DATASET_LABELS, gatherUnitBatch, loadVqDataset, toUnitBatch, type VqDataset } from './datasets.js';
import { loadVqModel } from './model.js';
import { listBundledModels } from '../models/registry.js';
import { VqCodec } from './vq-codec.js';
import type { TrainRunOptions } from './trainer.js';
import { checkTokens } from './codebook.js';
import { TOKEN_PACK_META_KEY, unpackTokens, readTokenPackInfo } from './token-pack.js';
import { readWeights, disposeVariables, parameterCount, variableOf } from '../nn/variables.js';

type Tensor2D = tfTypes.Tensor2D;
type Tensor4D = tfTypes.Tensor4D;

export type TokenNetConfig =
  | { type: 'tokens'; codebookSize: number; grid: number; embed: number; hidden: number; classes: number }
  | { type: 'pixel-cnn'; size: number; classes: number };

export interface TokenClassifierConfig {
  format: typeof MODEL_FORMAT;
  version: number;
  kind: 'token-classifier';
  name: string;
  description: string;
  input: 'tokens' | 'pixels';
  /** The VQ-VAE whose tokens a `tokens` net reads. */
  vqvae?: { name: string; sha256: string; tokensSha256: string; codebookSize: number };
  dataset: string;
  labels: string[];
  net: TokenNetConfig;
  training?: Record<string, unknown>;
}

export interface TokenClassifierModel {
  config: TokenClassifierConfig;
  weights: NamedWeights;
  sha256: string;
  id: string;
  dir: string;
}

/**
 * Trainable parameters of a net config (the study's "parameters" column).
 *
 * @example
 * tokenNetParameters({ type: 'tokens', codebookSize: 128, grid: 7, embed: 32, hidden: 128, classes: 10 }); // 206,218
 * tokenNetParameters({ type: 'pixel-cnn', size: 28, classes: 10 });                                        // 1,199,882
 */
export function tokenNetParameters(c: TokenNetConfig): number {
  if (c.type === 'tokens') return c.codebookSize * c.embed + (c.grid * c.grid * c.embed + 1) * c.hidden + (c.hidden + 1) * c.classes;
  const flat = ((c.size - 4) / 2) ** 2 * 64;
  return 9 * 32 + 32 + 9 * 32 * 64 + 64 + (flat + 1) * 128 + 129 * c.classes;
}

export class TokenNet {
  readonly config: TokenNetConfig;
  readonly tf: TfModule;
  readonly vars = new Map<string, tfTypes.Variable>();

  /**
   * A net with the given weights or a seeded initialisation.
   *
   * @example
   * const net = new TokenNet(tf, { type: 'tokens', codebookSize: 128, grid: 7, embed: 32, hidden: 128, classes: 10 });
   */
  constructor(tf: TfModule, config: TokenNetConfig, weights?: NamedWeights, seed = 1) {
    this.tf = tf;
    this.config = { ...config };
    let n = 0;
    const add = (name: string, shape: number[], std: number) => {
      const given = weights?.get(name);
      const t = given ? tf.tensor(given.data, shape) : std === 0 ? tf.zeros(shape) : tf.randomNormal(shape, 0, std, 'float32', seed * 1000 + n++);
      this.vars.set(name, tf.variable(t, true, name + '_' + Math.random().toString(36).slice(2)));
      t.dispose();
    };
    const he = (fanIn: number) => Math.sqrt(2 / fanIn);
    if (config.type === 'tokens') {
      const flat = config.grid * config.grid * config.embed;
      add('embedding', [config.codebookSize, config.embed], 1);
      add('fc1.weight', [flat, config.hidden], he(flat));
      add('fc1.bias', [config.hidden], 0);
      add('fc2.weight', [config.hidden, config.classes], Math.sqrt(1 / config.hidden));
      add('fc2.bias', [config.classes], 0);
    } else {
      const flat = ((config.size - 4) / 2) ** 2 * 64;
      add('conv1.weight', [3, 3, 1, 32], he(9));
      add('conv1.bias', [32], 0);
      add('conv2.weight', [3, 3, 32, 64], he(9 * 32));
      add('conv2.bias', [64], 0);
      add('fc1.weight', [flat, 128], he(flat));
      add('fc1.bias', [128], 0);
      add('fc2.weight', [128, config.classes], Math.sqrt(1 / 128));
      add('fc2.bias', [config.classes], 0);
    }
  }

  private v(name: string): tfTypes.Variable {
    return variableOf(this.vars, name, 'token classifier');
  }

  get parameterCount(): number {
    return parameterCount(this.vars);
  }

  /**
   * Logits [B, classes]: from tokens [B·49] (int32) for a tokens net, or pixels [B, S, S, 1] in
   * [0, 1] for the CNN.
   */
  apply(input: tfTypes.Tensor, b: number): Tensor2D {
    const tf = this.tf;
    const mm = matMulFast(tf);
    let flat: Tensor2D;
    if (this.config.type === 'tokens') {
      const c = this.config;
      // One-hot product rather than gather: its gradient is a plain matrix product on every backend.
      const e = mm(tf.oneHot(input as tfTypes.Tensor1D, c.codebookSize).toFloat() as Tensor2D, this.v('embedding') as Tensor2D);
      flat = tf.reshape(e, [b, c.grid * c.grid * c.embed]) as Tensor2D;
    } else {
      const s = this.config.size;
      // 'valid' 3×3 convolutions as 'same' ones cropped by one pixel: the same numbers, and
      // convSame has the forward-convolution gradients the wasm backend needs.
      const conv = (x: Tensor4D, name: string, side: number) => {
        const y = tf.relu(tf.add(convSame(tf, 3)(x, this.v(`${name}.weight`) as Tensor4D), this.v(`${name}.bias`))) as Tensor4D;
        return tf.slice(y, [0, 1, 1, 0], [b, side - 2, side - 2, y.shape[3]]) as Tensor4D;
      };
      const h = conv(conv(input as Tensor4D, 'conv1', s), 'conv2', s - 2);
      flat = tf.reshape(tf.maxPool(h, 2, 2, 'valid'), [b, -1]) as Tensor2D;
    }
    const h1 = tf.relu(tf.add(mm(flat, this.v('fc1.weight') as Tensor2D), this.v('fc1.bias'))) as Tensor2D;
    return tf.add(mm(h1, this.v('fc2.weight') as Tensor2D), this.v('fc2.bias')) as Tensor2D;
  }

  getWeights(): NamedWeights {
    return readWeights(this.vars);
  }

  dispose(): void {
    disposeVariables(this.vars);
  }
}

/**
 * Loads a token classifier (or the pixel baseline) folder by bundled name or path.
 *
 * @example
 * const m = loadTokenClassifier('tokens-mnist-k128');
 */
export function loadTokenClassifier(nameOrPath: string): TokenClassifierModel {
  const dir = resolveModelDir(nameOrPath, 'token-classifier');
  const { config, weights, sha256 } = readWeightsFolder(dir, nameOrPath, 'token-classifier');
  const c = config as unknown as TokenClassifierConfig;
  const bad = (reason: string) => werr('WALLOC_ERR_MODEL_INVALID', { model: nameOrPath, reason });
  if (!Array.isArray(c.labels) || c.labels.length < 2) throw bad('labels must be a list of at least two strings');
  if (typeof c.net !== 'object' || c.net === null || c.net.classes !== c.labels.length) throw bad('net config is missing or does not match the labels');
  if (c.input === 'tokens' && (c.net.type !== 'tokens' || !c.vqvae || typeof c.vqvae.tokensSha256 !== 'string')) throw bad('a tokens classifier must name its VQ-VAE');
  return { config: c, weights, sha256, id: `${c.name}@${sha256.slice(0, 12)}`, dir };
}

/**
 * The tokens fingerprint of a stream: the header's `tokensSha256` (src/stages/vq.ts `vqHeader`), or,
 * for a stream saved by a filter graph, that of the VQ-VAE model the header names, when it is one.
 * Undefined for any other stream.
 *
 * @example
 * headerTokensSha({ model: 'vqvae-mnist-k128' }); // 'c0ffee…' when that model is bundled
 */
export function headerTokensSha(h: WlcHeader): string | undefined {
  if (typeof h.tokensSha256 === 'string') return h.tokensSha256;
  if (typeof h.model !== 'string') return undefined;
  try {
    return loadVqModel(h.model).config.tokensSha256;
  } catch {
    return undefined;
  }
}

/**
 * True when the stream carries VQ tokens (see {@link headerTokensSha}).
 *
 * @example
 * isTokenStream(vqHeader(model)); // true
 */
export function isTokenStream(h: WlcHeader): boolean {
  return headerTokensSha(h) !== undefined;
}

/**
 * The bundled tokens classifier whose VQ-VAE made the stream (by tokens fingerprint); WALLOC_ERR_CLASSIFIER_CODEC if none.
 *
 * @example
 * const c = await TokenClassifier.load(tokenClassifierForHeader(reader.header));
 */
export function tokenClassifierForHeader(h: WlcHeader): string {
  const all = listBundledModels('token-classifier').map((m) => m.name);
  const sha = headerTokensSha(h);
  for (const name of all) {
    try {
      const m = loadTokenClassifier(name);
      if (sha !== undefined && m.config.vqvae?.tokensSha256 === sha) return m.dir;
    } catch { /* a damaged bundled model is reported when asked for by name */ }
  }
  throw werr('WALLOC_ERR_CLASSIFIER_NONE', { what: 'the tokens', found: String(h.model), hint: `train a token classifier with \`walloc train token-classifier --vqvae ${String(h.model)} …\` and pass it with --model DIR` });
}

/**
 * True when `nameOrPath` names a token-classifier model folder (reads only its model.json).
 *
 * @example
 * isTokenClassifier('tokens-mnist-k128'); // true
 */
export function isTokenClassifier(nameOrPath: string | undefined): boolean {
  if (nameOrPath === undefined) return false;
  try {
    const dir = resolveModelDir(nameOrPath, 'token-classifier');
    return (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { kind?: unknown }).kind === 'token-classifier';
  } catch {
    return false;
  }
}

/** A loaded token classifier with the interface of src/classify/classifier.ts, for `classify`. */
export class TokenClassifier {
  readonly model: TokenClassifierModel;
  readonly net: TokenNet;
  readonly tf: TfModule;

  private constructor(tf: TfModule, model: TokenClassifierModel) {
    this.tf = tf;
    this.model = model;
    this.net = new TokenNet(tf, model.config.net, model.weights);
  }

  /**
   * Loads a token classifier on the best backend.
   *
   * @example
   * const c = await TokenClassifier.load('tokens-mnist-k128');
   */
  static async load(nameOrPath: string, opts: { backend?: string } = {}): Promise<TokenClassifier> {
    const model = loadTokenClassifier(nameOrPath);
    const { tf } = await getTf({ backend: opts.backend });
    return new TokenClassifier(tf, model);
  }

  /** Refuses a stream whose tokens come from another codebook (WALLOC_ERR_CLASSIFIER_CODEC). */
  checkHeader(h: WlcHeader): void {
    const c = this.model.config;
    if (c.input !== 'tokens' || !c.vqvae) throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: c.name, expected: 'pixels (it is the pixel baseline)', found: String(h.model) });
    const sha = headerTokensSha(h);
    // A stream saved by a filter graph names its VQ-VAE without the fingerprint; when that model is
    // not available here, every frame must then carry the fingerprint itself (vq stamps it).
    this.#frameShaRequired = sha === undefined;
    if (sha !== undefined && sha !== c.vqvae.tokensSha256) {
      throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: c.name, expected: `${c.vqvae.name} tokens`, found: `${String(h.model)} (another encoder or codebook)` });
    }
  }

  #frameShaRequired = false;

  /** Class probabilities [B × classes] of token grids [B·49]. */
  probabilities(tokens: Uint16Array, b: number): Float32Array {
    const tf = this.tf;
    const t = tf.tidy(() => tf.softmax(this.net.apply(tf.tensor1d(Int32Array.from(tokens), 'int32'), b)));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  /**
   * Classifies one `tokens` frame, or a `packed` frame of tokens, without decoding it.
   *
   * @example
   * const p = await c.classifyFrame(frame, { top: 3 }); // { label: '7', score: 0.98, top: [...] }
   */
  async classifyFrame(frame: Frame, opts: { top?: number; threshold?: number } = {}): Promise<Prediction> {
    const c = this.model.config;
    if (c.net.type !== 'tokens') throw werr('WALLOC_ERR_FRAME_KIND', { stage: `classifier ${c.name}`, expected: 'image (pixel baseline)', actual: frame.kind });
    let tokens: Uint16Array;
    if (frame.kind === 'packed' && frame.data instanceof Uint8Array) {
      tokens = unpackTokens(frame.data, readTokenPackInfo(frame.meta.extra?.[TOKEN_PACK_META_KEY]));
    } else if (frame.kind === 'tokens' && frame.data instanceof Uint16Array) {
      tokens = frame.data;
    } else {
      throw werr('WALLOC_ERR_FRAME_KIND', { stage: `classifier ${c.name}`, expected: 'tokens or packed tokens', actual: frame.kind });
    }
    const sha = frame.meta.extra?.tokensSha256;
    if (sha === undefined && this.#frameShaRequired) throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: c.name, expected: `${c.vqvae?.name ?? '?'} tokens`, found: `tokens of ${String(frame.meta.model ?? 'an unknown model')} that do not say which codebook they index` });
    if (sha !== undefined && sha !== c.vqvae?.tokensSha256) throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: c.name, expected: `${c.vqvae?.name ?? '?'} tokens`, found: `tokens of ${String(frame.meta.model ?? 'another codebook')}` });
    const g = c.net.grid;
    if (tokens.length !== g * g) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `classifier ${c.name} takes ${g}×${g} tokens, got ${tokens.length}` });
    checkTokens(tokens, c.net.codebookSize);
    return predictionOf(this.probabilities(tokens, 1), c.labels, opts.top ?? 3, opts.threshold ?? 0);
  }

  dispose(): void {
    this.net.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

export interface TokenTrainOptions extends TrainRunOptions {
  /** A tokens classifier reads this VQ-VAE's tokens (its dataset is the data)… */
  vqvae?: string;
  /** …or the pixel baseline trains on this dataset. */
  data?: VqDataset;
}

/** Same recipe for both nets: Adam 1e-3, batch 64, 3 epochs (the VQ-VAE's epochs). */
export const TOKEN_TRAIN_DEFAULTS = { epochs: 3, batch: 64, lr: 1e-3, limit: 0, valLimit: 0, seed: 1, resume: false };

export interface TokenTrainResult {
  model: TokenClassifierModel;
  accuracy: number;
  /** Seconds in the training loop (not data preparation nor evaluation). */
  trainSeconds: number;
  /** Seconds to turn the training images into tokens (0 for pixels). */
  prepSeconds: number;
  parameters: number;
  /** Size of weights.bin in KB (1024 bytes). */
  sizeKB: number;
}

/**
 * Trains a token classifier on a VQ-VAE's tokens, or the pixel CNN baseline, and saves it.
 *
 * @example
 * const r = await trainTokenClassifier({ ...TOKEN_TRAIN_DEFAULTS, vqvae: 'vqvae-mnist-k128', out: '/tmp/tok', name: 'tok', log: console.error });
 * r.accuracy; // 0.95
 */
export async function trainTokenClassifier(o: TokenTrainOptions): Promise<TokenTrainResult> {
  checkModelFolder(o.out, { force: o.force, resume: o.resume, checkpoint: 'model.json' });
  const { tf, backend } = await getTf({ backend: o.backend });
  const vq = o.vqvae !== undefined ? loadVqModel(o.vqvae) : undefined;
  if (vq && o.data !== undefined && o.data !== vq.config.dataset) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--vqvae ${vq.config.name} tokenises ${String(vq.config.dataset)}, not ${o.data}: the token classifier trains on its VQ-VAE's dataset (drop --data)` });
  }
  const data = (vq?.config.dataset ?? o.data) as VqDataset | undefined;
  if (!data) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--vqvae MODEL or --data NAME', command: 'walloc train token-classifier' });
  const train = loadVqDataset(data, 'train', { limit: o.limit });
  const test = loadVqDataset(data, 'test', { limit: o.valLimit });
  const labels = vq?.config.labels ?? [...DATASET_LABELS[data]];
  const side = train.width;
  let trainTokens: Uint16Array | undefined, testTokens: Uint16Array | undefined;
  let prepSeconds = 0;
  let netCfg: TokenNetConfig;
  if (vq) {
    const codec = await VqCodec.load(vq, { backend });
    const t0 = Date.now();
    trainTokens = codec.encode(toUnitBatch(train, 0, train.n), train.n);
    prepSeconds = (Date.now() - t0) / 1000;
    testTokens = codec.encode(toUnitBatch(test, 0, test.n), test.n);
    codec.dispose();
    netCfg = { type: 'tokens', codebookSize: vq.config.net.codebookSize, grid: codec.grid, embed: 32, hidden: 128, classes: labels.length };
    o.log(`${data}: ${train.n} training and ${test.n} test images tokenised by ${vq.id} (${prepSeconds.toFixed(1)} s); backend ${backend}`);
  } else {
    netCfg = { type: 'pixel-cnn', size: side, classes: labels.length };
    o.log(`${data}: ${train.n} training and ${test.n} test images (pixels); backend ${backend}`);
  }
  const net = new TokenNet(tf, netCfg, o.resume ? tryResume(o.out) : undefined, o.seed);
  o.log(`${netCfg.type}: ${net.parameterCount} parameters`);
  const g = netCfg.type === 'tokens' ? netCfg.grid : 0;
  const per = netCfg.type === 'tokens' ? g * g : side * side;

  // Batches as tensors: token grids [B·49] int32, or pixels [B, S, S, 1].
  const batchOf = (tokens: Uint16Array | undefined, set: typeof train, idx: ArrayLike<number>): tfTypes.Tensor => {
    if (tokens) {
      const t = new Int32Array(idx.length * per);
      for (let i = 0; i < idx.length; i++) for (let k = 0; k < per; k++) t[i * per + k] = tokens[idx[i]! * per + k]!;
      return tf.tensor1d(t, 'int32');
    }
    return tf.tensor4d(gatherUnitBatch(set, idx), [idx.length, side, side, 1]);
  };
  const evaluate = (): number => {
    let correct = 0;
    for (let s = 0; s < test.n; s += 500) {
      const b = Math.min(500, test.n - s);
      const idx = Array.from({ length: b }, (_, i) => s + i);
      const pred = tf.tidy(() => tf.argMax(net.apply(batchOf(testTokens, test, idx), b), 1));
      const p = pred.dataSync();
      pred.dispose();
      for (let i = 0; i < b; i++) if (p[i] === test.labels[s + i]) correct++;
    }
    return correct / test.n;
  };

  const opt = tf.train.adam(o.lr);
  const vars = [...net.vars.values()];
  const steps = Math.ceil(train.n / o.batch);
  let trainSeconds = 0;
  const history: Array<{ epoch: number; loss: number; accuracy: number; seconds: number }> = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = Array.from(shuffled(train.n, rng(o.seed * 53 + epoch)));
    const e0 = Date.now();
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const idx = order.slice(s * o.batch, (s + 1) * o.batch);
      const b = idx.length;
      const loss = tf.tidy(() => {
        const x = batchOf(trainTokens, train, idx);
        const y = tf.oneHot(tf.tensor1d(idx.map((i) => train.labels[i]!), 'int32'), labels.length);
        return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x, b)) as tfTypes.Scalar, true, vars)!;
      });
      lossSum += loss.dataSync()[0]! * b;
      loss.dispose();
      if (s % 20 === 0 || s === steps - 1) o.progress?.(`epoch ${epoch + 1}/${o.epochs} step ${s + 1}/${steps} loss ${(lossSum / Math.min(train.n, (s + 1) * o.batch)).toFixed(4)}`);
    }
    trainSeconds += (Date.now() - e0) / 1000;
    const accuracy = evaluate();
    history.push({ epoch: epoch + 1, loss: lossSum / train.n, accuracy, seconds: Math.round(trainSeconds * 10) / 10 });
    o.log(`epoch ${epoch + 1}/${o.epochs}: loss ${(lossSum / train.n).toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)}% (${trainSeconds.toFixed(1)} s training so far)`);
  }
  const accuracy = history.length ? history[history.length - 1]!.accuracy : evaluate();
  const base = {
    format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, kind: 'token-classifier' as const, name: o.name,
    description: o.description ?? (vq ? `token classifier on the ${netCfg.type === 'tokens' ? netCfg.codebookSize : ''}-entry codebook of ${vq.config.name} (${data})` : `pixel CNN baseline on ${data}`),
    input: vq ? 'tokens' as const : 'pixels' as const,
    ...(vq ? { vqvae: { name: vq.config.name, sha256: vq.sha256, tokensSha256: vq.config.tokensSha256, codebookSize: vq.config.net.codebookSize } } : {}),
    dataset: data, labels, net: netCfg,
    training: { recipe: 'walloc train token-classifier', trainImages: train.n, testImages: test.n, epochs: o.epochs, batch: o.batch, lr: o.lr, seed: o.seed, backend, parameters: net.parameterCount, accuracy, trainSeconds: Math.round(trainSeconds * 10) / 10, history },
  };
  const { config, sha256 } = writeWeightsFolder(o.out, base, net.getWeights());
  const model: TokenClassifierModel = { config: config as TokenClassifierConfig, weights: net.getWeights(), sha256, id: `${o.name}@${sha256.slice(0, 12)}`, dir: o.out };
  const parameters = net.parameterCount;
  net.dispose();
  opt.dispose();
  const sizeKB = statSync(join(o.out, 'weights.bin')).size / 1024;
  o.log(`saved ${model.id} to ${o.out}: test accuracy ${(100 * accuracy).toFixed(2)}%, ${parameters} parameters, ${sizeKB.toFixed(1)} KB, ${trainSeconds.toFixed(1)} s training`);
  return { model, accuracy, trainSeconds, prepSeconds, parameters, sizeKB };
}

function tryResume(out: string): NamedWeights | undefined {
  try {
    return loadTokenClassifier(out).weights;
  } catch {
    return undefined;
  }
}
