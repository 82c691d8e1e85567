/**
 * analysis: WaLLoC's lightweight encoder (research/walloc.md section 2), and its exact linear
 * counterpart on the decode side, `linearSynthesis`, which the "linear floor" decoder uses.
 *
 * The encoder is one 1×1 convolution: at every position, the C·K^J wavelet packet coefficients are
 * projected by a [N × C·K^J] matrix plus a bias onto N latent channels (192 → 12 for RGB at J = 3),
 * then companded through the Gaussian CDF into (−latent_max, latent_max) (src/stages/companding.ts).
 * That is ~36 multiply-adds per pixel, so it is written by hand over typed arrays and needs no ML
 * runtime.
 *
 * Loop order: frames are planar, so each input channel is a contiguous plane of P positions. The
 * projection walks positions in blocks of a few hundred; inside a block it reads the slices of
 * four input planes at a time and adds them, times their weights, into six output accumulators
 * at once (N × block float64 values that stay in L1/L2). Input is therefore read from memory exactly once,
 * the innermost loop is a unit-stride multiply-add over contiguous memory, and nothing allocates
 * per position.
 * Accumulating in float64 keeps a 192-term sum within float32 rounding of the exact result.
 * Where WebAssembly SIMD is available the same sums run in src/simd/kernels.ts instead (float32
 * accumulation, 4 lanes; about 4× faster on the encode path); `simd = false` keeps this loop.
 *
 * Weights layout: row-major, row n holds the weights of output channel n (like a Conv2d weight
 * [out, in, 1, 1] flattened), so `weight[n·inChannels + m]` maps input m to output n.
 */
import { werr } from '../errors.js';
import { expectKind, makeFrame, sizeOf, type CoeffsFrame, type Frame, type FrameMeta, type LatentFrame } from '../frame.js';
import { channelScales, checkBits, toNormal, toUniform } from './companding.js';
import { projectSimd } from '../simd/kernels.js';
import type { Model } from '../models/model-file.js';

/** Output positions per block: about 48 KiB of float64 accumulators (512 positions at N = 12), never fewer than 64. */
const BLOCK_ACCUMULATORS = 6144;

/**
 * Linear 1×1 projection over planar data: out[n, p] = bias[n] + Σ_m weight[n·inChannels + m]·input[m, p].
 * `input` is [inChannels, P], `out` is [outChannels, P] (allocated if not given). The weight
 * matrix is [outChannels × inChannels] row-major; `bias` may be omitted (zeros). `simd` false
 * runs the float64 JavaScript loop even where the WebAssembly SIMD kernel could.
 *
 * @example
 * // 2 inputs → 1 output, 3 positions: out = 1 + 2·a − b
 * project(new Float32Array([1, 2, 3, 10, 20, 30]), 2, new Float32Array([2, -1]), new Float32Array([1]), 1);
 * // Float32Array [-7, -15, -23]
 */
export function project(
  input: Float32Array,
  inChannels: number,
  weight: Float32Array,
  bias: Float32Array | undefined,
  outChannels: number,
  out?: Float32Array,
  simd = true,
): Float32Array {
  if (!Number.isInteger(inChannels) || inChannels <= 0 || input.length % inChannels !== 0) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${input.length} values do not split into ${inChannels} channels` });
  }
  if (weight.length !== inChannels * outChannels) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `projection weight has ${weight.length} entries, expected ${outChannels}×${inChannels}` });
  }
  if (bias !== undefined && bias.length !== outChannels) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `projection bias has ${bias.length} entries, expected ${outChannels}` });
  }
  const P = input.length / inChannels;
  const result = out ?? new Float32Array(outChannels * P);
  if (result.length !== outChannels * P) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `output holds ${result.length} values, expected ${outChannels * P}` });
  if (simd) {
    const fast = projectSimd(input, inChannels, weight, bias, outChannels, result);
    if (fast !== undefined) return fast;
  }
  const B = Math.max(64, Math.floor(BLOCK_ACCUMULATORS / outChannels));
  const acc = new Float64Array(outChannels * B);
  const M = inChannels, N = outChannels;
  const M4 = M - (M % 4), N6 = N - (N % 6);
  for (let p0 = 0; p0 < P; p0 += B) {
    const len = Math.min(B, P - p0);
    for (let n = 0; n < N; n++) acc.fill(bias === undefined ? 0 : (bias[n] as number), n * B, n * B + len);
    // Register tile of 6 outputs × 4 input planes: per position 4 input loads and 6 accumulator
    // loads/stores for 24 multiply-adds, with the 24 weights in locals. Measured on a 1080p
    // frame (192 → 12) against 8 planes × 1 output per pass: 1.6–1.9× faster (same sums in
    // float64, so results equal to the last float32 bit but for summation order).
    for (let m = 0; m < M4; m += 4) {
      const s0 = m * P + p0, s1 = s0 + P, s2 = s1 + P, s3 = s2 + P;
      for (let n = 0; n < N6; n += 6) {
        const r0 = n * M + m, r1 = r0 + M, r2 = r1 + M, r3 = r2 + M, r4 = r3 + M, r5 = r4 + M;
        const a0 = weight[r0] as number, a1 = weight[r0 + 1] as number, a2 = weight[r0 + 2] as number, a3 = weight[r0 + 3] as number;
        const b0 = weight[r1] as number, b1 = weight[r1 + 1] as number, b2 = weight[r1 + 2] as number, b3 = weight[r1 + 3] as number;
        const c0 = weight[r2] as number, c1 = weight[r2 + 1] as number, c2 = weight[r2 + 2] as number, c3 = weight[r2 + 3] as number;
        const e0 = weight[r3] as number, e1 = weight[r3 + 1] as number, e2 = weight[r3 + 2] as number, e3 = weight[r3 + 3] as number;
        const f0 = weight[r4] as number, f1 = weight[r4 + 1] as number, f2 = weight[r4 + 2] as number, f3 = weight[r4 + 3] as number;
        const g0 = weight[r5] as number, g1 = weight[r5 + 1] as number, g2 = weight[r5 + 2] as number, g3 = weight[r5 + 3] as number;
        const da = n * B, db = da + B, dc = db + B, de = dc + B, df = de + B, dg = df + B;
        for (let j = 0; j < len; j++) {
          const x0 = input[s0 + j] as number, x1 = input[s1 + j] as number, x2 = input[s2 + j] as number, x3 = input[s3 + j] as number;
          acc[da + j] = (acc[da + j] as number) + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
          acc[db + j] = (acc[db + j] as number) + b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
          acc[dc + j] = (acc[dc + j] as number) + c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3;
          acc[de + j] = (acc[de + j] as number) + e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3;
          acc[df + j] = (acc[df + j] as number) + f0 * x0 + f1 * x1 + f2 * x2 + f3 * x3;
          acc[dg + j] = (acc[dg + j] as number) + g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3;
        }
      }
      // outputs beyond the last group of 6: one at a time over the same 4 planes
      for (let n = N6; n < N; n++) {
        const r = n * M + m;
        const w0 = weight[r] as number, w1 = weight[r + 1] as number, w2 = weight[r + 2] as number, w3 = weight[r + 3] as number;
        const d = n * B;
        for (let j = 0; j < len; j++) {
          acc[d + j] = (acc[d + j] as number) + w0 * (input[s0 + j] as number) + w1 * (input[s1 + j] as number) + w2 * (input[s2 + j] as number) + w3 * (input[s3 + j] as number);
        }
      }
    }
    for (let m = M4; m < M; m++) {
      const src = m * P + p0;
      for (let n = 0; n < N; n++) {
        const w = weight[n * M + m] as number;
        if (w === 0) continue;
        const d = n * B;
        for (let j = 0; j < len; j++) acc[d + j] = (acc[d + j] as number) + w * (input[src + j] as number);
      }
    }
    for (let n = 0; n < N; n++) {
      const dst = n * P + p0;
      const a = n * B;
      for (let j = 0; j < len; j++) result[dst + j] = acc[a + j] as number;
    }
  }
  return result;
}

// --------------------------------------------------------------------------------------------
// Config handling shared by both directions.

type Floats = Float32Array | readonly number[];

/** The encoder's parameters; `getConfig()` returns this, `fromConfig()` takes it (or its JSON). */
export interface AnalysisConfig {
  /** [latentDim × inChannels] row-major. */
  weight: Float32Array;
  /** [latentDim]. */
  bias: Float32Array;
  /** C·K^J, the coefficient channels of the input. */
  inChannels: number;
  /** N, the latent channels. */
  latentDim: number;
  /** Latent bits b (2..8). */
  bits: number;
  /** Companding scale, one for all channels or one per latent channel. */
  scale: number | Float32Array;
  /** Id of the model, recorded in each latent frame's meta. */
  model?: string;
}

/** {@link AnalysisConfig} with plain arrays, as read from `model.json`. */
export interface AnalysisConfigJSON {
  weight: Floats;
  bias: Floats;
  inChannels: number;
  latentDim: number;
  bits: number;
  scale: number | Floats;
  model?: string;
}

/** The decoder-side linear map: [outChannels × latentDim] weight, ToNormal first. */
export interface LinearSynthesisConfig {
  /** [outChannels × latentDim] row-major. */
  weight: Float32Array;
  /** [outChannels]. */
  bias: Float32Array;
  /** N, the latent channels of the input. */
  latentDim: number;
  /** C·K^J, the coefficient channels produced. */
  outChannels: number;
  bits: number;
  scale: number | Float32Array;
  model?: string;
}

export interface LinearSynthesisConfigJSON {
  weight: Floats;
  bias: Floats;
  latentDim: number;
  outChannels: number;
  bits: number;
  scale: number | Floats;
  model?: string;
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} must be a positive integer, got ${String(v)}` });
  return v;
}

function floats(v: Floats | undefined, length: number, what: string): Float32Array {
  if (v === undefined || typeof v !== 'object' || typeof (v as { length?: unknown }).length !== 'number') {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} must be an array of ${length} numbers` });
  }
  if (v.length !== length) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} has ${v.length} entries, expected ${length}` });
  const out = Float32Array.from(v);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what}[${i}] is not a finite number` });
  }
  return out;
}

function scaleOf(scale: number | Floats | undefined, channels: number, bits: number): number | Float32Array {
  // Validates (positive, finite, one per channel) and copies, so the model owns its parameters.
  const checked = channelScales(scale, channels, bits);
  return typeof scale === 'number' || scale === undefined ? (checked[0] as number) : Float32Array.from(checked);
}

const scaleCopy = (s: number | Float32Array): number | Float32Array => (typeof s === 'number' ? s : s.slice());
const scaleJSON = (s: number | Float32Array): number | number[] => (typeof s === 'number' ? s : Array.from(s));

/** Meta for a derived frame: everything but the fields that belong to the other domain. */
function carryMeta(meta: FrameMeta, drop: ReadonlyArray<keyof FrameMeta>): FrameMeta {
  const out: FrameMeta = { ...meta };
  for (const k of drop) delete out[k];
  return out;
}

// --------------------------------------------------------------------------------------------

/**
 * The encoder: linear projection then companding. Holds validated copies of its parameters.
 *
 * @example
 * const enc = Analysis.fromConfig({ weight, bias, inChannels: 192, latentDim: 12, bits: 8, scale: 68.65 });
 * const latent = enc.encode(coeffsFrame); // latent frame [12, H/8, W/8], Float32Array in ±127.499
 */
export class Analysis {
  readonly inChannels: number;
  readonly latentDim: number;
  readonly bits: number;
  readonly model: string | undefined;
  readonly #weight: Float32Array;
  readonly #bias: Float32Array;
  readonly #scale: number | Float32Array;

  private constructor(c: AnalysisConfigJSON) {
    this.inChannels = positiveInt(c.inChannels, 'inChannels');
    this.latentDim = positiveInt(c.latentDim, 'latentDim');
    checkBits(c.bits);
    this.bits = c.bits;
    this.#weight = floats(c.weight, this.latentDim * this.inChannels, 'analysis weight');
    this.#bias = floats(c.bias, this.latentDim, 'analysis bias');
    this.#scale = scaleOf(c.scale, this.latentDim, this.bits);
    this.model = c.model;
  }

  /**
   * Builds an encoder from its config (typed arrays or the plain arrays of a JSON file).
   *
   * @example
   * const enc = Analysis.fromConfig(JSON.parse(text));
   */
  static fromConfig(config: AnalysisConfig | AnalysisConfigJSON): Analysis {
    return new Analysis(config);
  }

  /**
   * A copy of the parameters; `Analysis.fromConfig(a.getConfig())` is an identical encoder.
   *
   * @example
   * const { weight, latentDim } = enc.getConfig();
   */
  getConfig(): AnalysisConfig {
    const c: AnalysisConfig = {
      weight: this.#weight.slice(), bias: this.#bias.slice(), inChannels: this.inChannels,
      latentDim: this.latentDim, bits: this.bits, scale: scaleCopy(this.#scale),
    };
    if (this.model !== undefined) c.model = this.model;
    return c;
  }

  /**
   * The config with plain arrays, for `JSON.stringify` (float32 values print exactly and parse
   * back to the same float32).
   *
   * @example
   * fs.writeFileSync('encoder.json', JSON.stringify(enc));
   */
  toJSON(): AnalysisConfigJSON {
    const c: AnalysisConfigJSON = {
      weight: Array.from(this.#weight), bias: Array.from(this.#bias), inChannels: this.inChannels,
      latentDim: this.latentDim, bits: this.bits, scale: scaleJSON(this.#scale),
    };
    if (this.model !== undefined) c.model = this.model;
    return c;
  }

  /**
   * The projection alone, before companding: y = W·x + b over planar [inChannels, P] input.
   * Used to fit the companding scale from data (see `fitScale`).
   *
   * @example
   * const y = enc.projectArray(coeffs.data); // [latentDim, P]
   */
  projectArray(input: Float32Array, out?: Float32Array): Float32Array {
    return project(input, this.inChannels, this.#weight, this.#bias, this.latentDim, out);
  }

  /**
   * Projection and companding over planar [inChannels, P] input → [latentDim, P] in ±latent_max.
   *
   * @example
   * const u = enc.encodeArray(coeffs.data);
   */
  encodeArray(input: Float32Array, out?: Float32Array): Float32Array {
    const y = this.projectArray(input, out);
    return toUniform(y, this.latentDim, this.bits, this.#scale, y);
  }

  /**
   * Encodes one coeffs frame [C·K^J, ...spatial] into a continuous latent frame [N, ...spatial];
   * the meta is carried over with `bits` and `model` added.
   *
   * @example
   * const latent = enc.encode(coeffsFrame);
   */
  encode(frame: Frame): LatentFrame {
    const f = expectKind(frame, ['coeffs'], 'analysis') as CoeffsFrame;
    if (!(f.data instanceof Float32Array)) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: 'coeffs data must be a Float32Array' });
    if (f.shape.length < 2 || f.shape[0] !== this.inChannels) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `analysis expects [${this.inChannels}, ...spatial] coefficients, got [${f.shape.join(', ')}]` });
    }
    const spatial = f.shape.slice(1);
    const u = this.encodeArray(f.data, new Float32Array(this.latentDim * sizeOf(spatial)));
    const meta = { ...f.meta, bits: this.bits };
    if (this.model !== undefined) meta.model = this.model;
    return makeFrame('latent', [this.latentDim, ...spatial], u, meta);
  }
}

/**
 * The decoder-side linear map: ToNormal (per-channel scale), then a [outChannels × latentDim]
 * projection plus bias back to wavelet packet coefficients. With the transpose of an orthonormal
 * (PCA) encoder it is the "linear floor" decoder every trained model must beat.
 *
 * @example
 * const dec = LinearSynthesis.fromConfig({ weight: pcaT, bias: mean, latentDim: 12, outChannels: 192, bits: 8, scale });
 * const coeffs = dec.decode(latentFrame);
 */
export class LinearSynthesis {
  readonly latentDim: number;
  readonly outChannels: number;
  readonly bits: number;
  readonly model: string | undefined;
  readonly #weight: Float32Array;
  readonly #bias: Float32Array;
  readonly #scale: number | Float32Array;

  private constructor(c: LinearSynthesisConfigJSON) {
    this.latentDim = positiveInt(c.latentDim, 'latentDim');
    this.outChannels = positiveInt(c.outChannels, 'outChannels');
    checkBits(c.bits);
    this.bits = c.bits;
    this.#weight = floats(c.weight, this.outChannels * this.latentDim, 'synthesis weight');
    this.#bias = floats(c.bias, this.outChannels, 'synthesis bias');
    this.#scale = scaleOf(c.scale, this.latentDim, this.bits);
    this.model = c.model;
  }

  /**
   * Builds the linear decoder from its config (typed arrays or plain JSON arrays).
   *
   * @example
   * const dec = LinearSynthesis.fromConfig(JSON.parse(text));
   */
  static fromConfig(config: LinearSynthesisConfig | LinearSynthesisConfigJSON): LinearSynthesis {
    return new LinearSynthesis(config);
  }

  /**
   * A copy of the parameters; `LinearSynthesis.fromConfig(d.getConfig())` is identical.
   *
   * @example
   * const { weight } = dec.getConfig();
   */
  getConfig(): LinearSynthesisConfig {
    const c: LinearSynthesisConfig = {
      weight: this.#weight.slice(), bias: this.#bias.slice(), latentDim: this.latentDim,
      outChannels: this.outChannels, bits: this.bits, scale: scaleCopy(this.#scale),
    };
    if (this.model !== undefined) c.model = this.model;
    return c;
  }

  /**
   * The config with plain arrays, for `JSON.stringify`.
   *
   * @example
   * fs.writeFileSync('decoder.json', JSON.stringify(dec));
   */
  toJSON(): LinearSynthesisConfigJSON {
    const c: LinearSynthesisConfigJSON = {
      weight: Array.from(this.#weight), bias: Array.from(this.#bias), latentDim: this.latentDim,
      outChannels: this.outChannels, bits: this.bits, scale: scaleJSON(this.#scale),
    };
    if (this.model !== undefined) c.model = this.model;
    return c;
  }

  /**
   * ToNormal then projection over planar [latentDim, P] latents (int8 or companded float32).
   *
   * @example
   * const x = dec.decodeArray(int8Latents); // [outChannels, P]
   */
  decodeArray(latent: Int8Array | Float32Array, out?: Float32Array): Float32Array {
    const y = toNormal(latent, this.latentDim, this.bits, this.#scale);
    return project(y, this.latentDim, this.#weight, this.#bias, this.outChannels, out);
  }

  /**
   * Decodes one latent frame [N, ...spatial] (int8, or float32 from dequantize or analysis) into
   * a coeffs frame [outChannels, ...spatial]; `bits` and `model` are dropped from the meta.
   *
   * @example
   * const coeffs = dec.decode(latentFrame);
   */
  decode(frame: Frame): CoeffsFrame {
    const f = expectKind(frame, ['latent'], 'linearSynthesis') as LatentFrame;
    if (!(f.data instanceof Int8Array || f.data instanceof Float32Array)) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: 'latent data must be an Int8Array or a Float32Array' });
    if (f.shape.length < 2 || f.shape[0] !== this.latentDim) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `linear synthesis expects [${this.latentDim}, ...spatial] latents, got [${f.shape.join(', ')}]` });
    }
    if (f.meta.bits !== undefined && f.meta.bits !== this.bits) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latents have ${f.meta.bits} bits but the decoder expects ${this.bits}` });
    }
    const spatial = f.shape.slice(1);
    const x = this.decodeArray(f.data, new Float32Array(this.outChannels * sizeOf(spatial)));
    return makeFrame('coeffs', [this.outChannels, ...spatial], x, carryMeta(f.meta, ['bits', 'model']));
  }
}

export const asAnalysis = (m: Analysis | AnalysisConfig | AnalysisConfigJSON): Analysis => (m instanceof Analysis ? m : Analysis.fromConfig(m));
export const asSynthesis = (m: LinearSynthesis | LinearSynthesisConfig | LinearSynthesisConfigJSON): LinearSynthesis =>
  (m instanceof LinearSynthesis ? m : LinearSynthesis.fromConfig(m));

/**
 * Encodes one coeffs frame with an encoder or its config.
 *
 * @example
 * const latent = analysisFrame(coeffsFrame, enc);
 */
export function analysisFrame(frame: Frame, model: Analysis | AnalysisConfig | AnalysisConfigJSON): LatentFrame {
  return asAnalysis(model).encode(frame);
}

/**
 * Decodes one latent frame with the linear decoder.
 *
 * @example
 * const coeffs = linearSynthesisFrame(latentFrame, dec);
 */
export function linearSynthesisFrame(frame: Frame, model: LinearSynthesis | LinearSynthesisConfig | LinearSynthesisConfigJSON): CoeffsFrame {
  return asSynthesis(model).decode(frame);
}

/**
 * The encoder of a model: `encoder.weight` [N, D], `encoder.bias` [N] and `encoder.scale` [N].
 * Latent frames it makes carry `meta.model` = the model's name, which is what a .wlc header records.
 *
 * @example
 * const enc = analysisFromModel(loadModel('rgb-16x'));
 * const latent = enc.encode(wptForward(image, { levels: 3 }));
 */
export function analysisFromModel(model: Model): Analysis {
  const c = model.config;
  const entry = c.tensors.find((t) => t.name === 'encoder.weight');
  const get = (name: string): Float32Array => {
    const w = model.weights.get(name);
    if (!w) throw werr('WALLOC_ERR_MODEL_INVALID', { model: c.name, reason: `tensor ${name} is missing` });
    return w;
  };
  if (!entry || entry.shape.length !== 2) throw werr('WALLOC_ERR_MODEL_INVALID', { model: c.name, reason: 'encoder.weight must be a [latentDim, inChannels] tensor' });
  const [latentDim, inChannels] = entry.shape as [number, number];
  return Analysis.fromConfig({
    weight: get('encoder.weight'), bias: get('encoder.bias'), scale: get('encoder.scale'),
    inChannels, latentDim, bits: c.bits, model: c.name,
  });
}
