/**
 * The decoder stage: dequantized latents (companded values, as `dequantize` emits them) →
 * inverse companding → decoder → wavelet packet coefficients, ready for `iwpt`.
 *
 * A model whose decoder is `linear` (the PCA transpose) decodes in plain TypeScript and never loads
 * TensorFlow.js; a `resnet` decoder runs on the selected TensorFlow.js backend (wasm by default).
 */
import { werr } from '../errors.js';
import { expectKind, makeFrame, type CoeffsFrame, type Frame } from '../frame.js';
import { toNormal } from './companding.js';
import { getTf, type TfModule } from '../models/backend.js';
import { checkMadeBy, type Model } from '../models/model-file.js';
import type { NamedWeights } from '../models/model-file.js';
import { ResidualDecoder } from '../nn/decoder.js';
import { VolumeDecoder } from '../nn/decoder3d.js';

export interface SynthesisOptions {
  /** TensorFlow.js backend for learned decoders (default: best available / $WALLOC_BACKEND). */
  backend?: string;
}

/** A model's decoder, ready to run frame after frame. */
export class Synthesizer {
  readonly model: Model;
  private readonly tf?: TfModule;
  private readonly net?: ResidualDecoder | VolumeDecoder;
  private readonly outChannels: number;

  private constructor(model: Model, tf?: TfModule, net?: ResidualDecoder | VolumeDecoder) {
    this.model = model;
    this.tf = tf;
    this.net = net;
    const c = model.config;
    this.outChannels = c.channels * (c.modality === 'audio' ? 2 : c.modality === 'image' ? 4 : 8) ** c.levels;
  }

  /**
   * Prepares a model's decoder (loads TensorFlow.js only when the decoder needs it).
   *
   * @example
   * const syn = await Synthesizer.create(loadModel('rgb-16x'));
   * const coeffs = syn.decode(dequantizedLatentFrame);
   */
  static async create(model: Model, opts: SynthesisOptions = {}): Promise<Synthesizer> {
    const d = model.config.decoder;
    if (d.type === 'linear') return new Synthesizer(model);
    if (d.type !== 'resnet') throw werr('WALLOC_ERR_MODEL_INVALID', { model: model.config.name, reason: `unknown decoder type ${(d as { type: string }).type}` });
    const { tf } = await getTf({ backend: opts.backend });
    const c = model.config;
    const weights: NamedWeights = new Map();
    for (const t of c.tensors) if (t.name.startsWith('decoder.')) weights.set(t.name, { shape: t.shape, data: model.weights.get(t.name)! });
    if (c.modality === 'volume') {
      // Volumes: the same residual design with k×k×k convolutions (src/nn/decoder3d.ts).
      return new Synthesizer(model, tf, new VolumeDecoder(tf, { latentDim: c.latentDim, outChannels: c.channels * 8 ** c.levels, width: d.width, blocks: d.blocks, kernel: d.kernel }, weights));
    }
    const kPow = (c.modality === 'audio' ? 2 : 4) ** c.levels;
    const net = ResidualDecoder.fromConfig(tf, {
      latentDim: c.latentDim, outChannels: c.channels * kPow, width: d.width, blocks: d.blocks, kernel: d.kernel,
      dims: c.modality === 'audio' ? 1 : 2,
    }, weights);
    return new Synthesizer(model, tf, net);
  }

  /** Latent frame (Float32 companded values, [N, ...spatial]) → coeffs frame. */
  decode(frame: Frame): CoeffsFrame {
    const f = expectKind(frame, ['latent'], 'synthesis');
    if (!(f.data instanceof Float32Array)) {
      throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'synthesis', expected: 'dequantized latent (Float32Array)', actual: `latent (${f.data.constructor.name})`, hint: '; add a dequantize stage' });
    }
    checkMadeBy(f.meta.model, this.model);
    const c = this.model.config;
    const n = f.shape[0]!;
    if (n !== c.latentDim) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latent has ${n} channels but model ${c.name} expects ${c.latentDim}` });
    const spatial = f.shape.slice(1);
    const positions = f.data.length / n;
    const y = toNormal(f.data, n, c.bits, this.model.weights.get('encoder.scale'));
    const d = this.outChannels;
    let out: Float32Array;
    if (!this.net) {
      out = linearDecode(y, n, this.model.weights.get('decoder.linear.weight')!, this.model.weights.get('decoder.linear.bias')!, d, positions);
    } else {
      const tf = this.tf!;
      const nhwc = new Float32Array(y.length);
      for (let ch = 0; ch < n; ch++) for (let p = 0; p < positions; p++) nhwc[p * n + ch] = y[ch * positions + p]!;
      const [h, w] = spatial.length === 1 ? [1, spatial[0]!] : [spatial[spatial.length - 2]!, spatial[spatial.length - 1]!];
      const net = this.net;
      let res: Float32Array;
      if (net instanceof ResidualDecoder && spatial.length === 2 && h * w > Synthesizer.tile ** 2) {
        res = decodeTiled(tf, net, nhwc, h, w, n, d, Synthesizer.tile);
      } else {
        // tidy() returns the tensor, not its data: tidy walks a returned value looking for tensors,
        // and walking a 6-million-element typed array costs over a second per 1080p frame.
        const t = tf.tidy(() => (net instanceof VolumeDecoder
          ? net.apply(tf.tensor5d(nhwc, [1, spatial[0]!, h, w, n]))
          : net.apply(tf.tensor4d(nhwc, [1, h, w, n]))));
        res = t.dataSync() as Float32Array;
        t.dispose();
      }
      out = new Float32Array(res.length);
      for (let ch = 0; ch < d; ch++) {
        const base = ch * positions;
        for (let p = 0; p < positions; p++) out[base + p] = res[p * d + ch]!;
      }
    }
    return makeFrame('coeffs', [d, ...spatial], out, { ...f.meta });
  }

  dispose(): void {
    this.net?.dispose();
  }

  /**
   * Side, in latent positions, of the tiles a large image is decoded in (the whole frame at once
   * would need the wasm heap's 4 GB for about 8192×8192 pixels). 256 latents are 2048 pixels at
   * J = 3; each tile also reads the decoder's receptive field around it, so the result is the
   * whole-frame decode's.
   */
  static tile = 256;
}

/**
 * Runs a 2-D decoder net over tiles of `tile`×`tile` latent positions, each with a margin of the
 * net's receptive radius (read, decoded, then dropped), and returns the NHWC output of the whole
 * frame. Convolutions see exactly the neighbours they would see in one pass (zero padding only at
 * the frame's own edges), so the output is the same.
 */
function decodeTiled(tf: TfModule, net: ResidualDecoder, nhwc: Float32Array, h: number, w: number, n: number, d: number, tile: number): Float32Array {
  const { kernel, blocks } = net.config;
  const r = ((kernel - 1) / 2) * (1 + 2 * blocks);
  const out = new Float32Array(h * w * d);
  for (let ty = 0; ty < h; ty += tile) {
    for (let tx = 0; tx < w; tx += tile) {
      const y0 = Math.max(0, ty - r), y1 = Math.min(h, ty + tile + r);
      const x0 = Math.max(0, tx - r), x1 = Math.min(w, tx + tile + r);
      const th = y1 - y0, tw = x1 - x0;
      const input = new Float32Array(th * tw * n);
      for (let y = 0; y < th; y++) input.set(nhwc.subarray(((y0 + y) * w + x0) * n, ((y0 + y) * w + x1) * n), y * tw * n);
      const t = tf.tidy(() => net.apply(tf.tensor4d(input, [1, th, tw, n])));
      const part = t.dataSync() as Float32Array;
      t.dispose();
      const iy1 = Math.min(h, ty + tile), ix1 = Math.min(w, tx + tile);
      for (let y = ty; y < iy1; y++) {
        const src = ((y - y0) * tw + (tx - x0)) * d;
        out.set(part.subarray(src, src + (ix1 - tx) * d), (y * w + tx) * d);
      }
    }
  }
  return out;
}

/**
 * x̂ = Lᵀ·y + b per position: the linear decoder, with L stored as the [1, 1, N, D] filter of a
 * 1×1 convolution (the layout the learned decoder shares).
 */
export function linearDecode(y: Float32Array, n: number, weight: Float32Array, bias: Float32Array, d: number, positions: number): Float32Array {
  const out = new Float32Array(d * positions);
  for (let o = 0; o < d; o++) {
    const dst = o * positions;
    out.fill(bias[o]!, dst, dst + positions);
    for (let i = 0; i < n; i++) {
      const wi = weight[i * d + o]!;
      const src = i * positions;
      for (let p = 0; p < positions; p++) out[dst + p] += wi * y[src + p]!;
    }
  }
  return out;
}
