/**
 * A codec is a model plus the stages it drives. Encoding is wpt → analysis → quantize → pack, all
 * plain TypeScript; decoding is unpack → dequantize → synthesis → iwpt → clamp, where synthesis may
 * run a TensorFlow.js net. This module wires the stages for one model and writes the .wlc header
 * that lets a decoder find (and insist on) the same model.
 */
import type { Transform } from 'node:stream';
import { werr } from '../errors.js';
import { expectKind, makeFrame, SPATIAL_DIMS, type Frame, type LatentFrame, type MediaFrame } from '../frame.js';
import type { WlcHeader } from '../container/index.js';
import { checkMadeBy, loadModel, otherVersion, trainedSampleRate, type Model } from '../models/model-file.js';
import { frameTransform } from '../streams.js';
import { wptForward, wptInverse } from '../stages/wpt.js';
import { Analysis } from '../stages/analysis.js';
import { quantizeFrame, dequantizeFrame } from '../stages/quantize.js';
import { checkPackOptions, packFrame, packInfoOf, resolveMaxLatentValues, unpackFrame, type PackOptions } from '../stages/pack.js';
import { checkImageSize, limitExceeded, RAISE_LIMIT, resolveImageLimits, type ImageLimits } from '../io/limits.js';
import { Synthesizer } from '../stages/synthesis.js';

export interface CodecOptions {
  /**
   * TensorFlow.js backend for learned decoders. TensorFlow.js has one active backend per process:
   * asking for one switches every codec and classifier in the process to it (last request wins).
   */
  backend?: string;
  /** Packing overrides (format, effort…); defaults come from the model. */
  pack?: PackOptions;
  /**
   * Decoding limits, checked against the latent shape before anything is unpacked or synthesised
   * (issue 11: a small .wlc must not make the decoder allocate gigabytes). `maxPixels`/`maxSide`
   * bound the decoded frame (src/io/limits.ts; for audio and volumes `maxPixels` bounds the samples
   * per channel); `maxLatentValues` bounds the packed image (src/stages/pack.ts).
   */
  limits?: ImageLimits & { maxLatentValues?: number };
}

/** Sub-bands per level for each media kind's dimensionality. */
const BANDS = { 1: 2, 2: 4, 3: 8 } as const;

export class Codec {
  readonly model: Model;
  readonly analysis: Analysis;
  /** The decoder net, built on first use (a promise, so that concurrent first calls share it). */
  private synth?: Promise<Synthesizer>;
  private net?: Synthesizer;
  /** Nets given up by dispose() that decodes in flight may still be using. */
  private readonly retired: Synthesizer[] = [];
  private inflight = 0;
  private readonly opts: CodecOptions;

  private constructor(model: Model, opts: CodecOptions) {
    this.model = model;
    this.opts = opts;
    const c = model.config;
    const inChannels = c.channels * BANDS[SPATIAL_DIMS[c.modality]] ** c.levels;
    const weight = model.weights.get('encoder.weight');
    const bias = model.weights.get('encoder.bias');
    const scale = model.weights.get('encoder.scale');
    if (!weight || !bias || !scale) throw werr('WALLOC_ERR_MODEL_INVALID', { model: c.name, reason: 'encoder.weight, encoder.bias or encoder.scale is missing' });
    this.analysis = Analysis.fromConfig({ weight, bias, scale, inChannels, latentDim: c.latentDim, bits: c.bits, model: model.id });
    if (opts.pack) checkPackOptions({ bits: c.bits, ...opts.pack });
  }

  /**
   * Loads a codec by bundled name (`rgb-16x`) or model folder path.
   *
   * @example
   * const codec = Codec.load('rgb-16x');
   * const packed = await codec.encodeFrame(imageFrame);
   */
  static load(nameOrPath: string, opts: CodecOptions = {}): Codec {
    return new Codec(loadModel(nameOrPath), opts);
  }

  /** Wraps an already loaded model. */
  static fromModel(model: Model, opts: CodecOptions = {}): Codec {
    return new Codec(model, opts);
  }

  /** The .wlc header for a stream made by this codec; `extra` adds stream facts (shape, fps…). */
  header(extra: Record<string, unknown> = {}): WlcHeader {
    const c = this.model.config;
    return {
      model: c.name, modelSha256: this.model.sha256, modality: c.modality, levels: c.levels, wavelet: c.wavelet,
      latentDim: c.latentDim, bits: c.bits, pack: this.opts.pack?.format ?? c.pack.format, ...extra,
    };
  }

  /**
   * Refuses a stream made by another model (name or checksum differ).
   *
   * @example
   * codec.checkHeader(reader.header); // throws WALLOC_ERR_CONTAINER_MODEL on a mismatch
   */
  checkHeader(h: WlcHeader): void {
    const c = this.model.config;
    if (h.model !== c.name || (h.modelSha256 !== undefined && h.modelSha256 !== this.model.sha256)) {
      throw werr('WALLOC_ERR_CONTAINER_MODEL', { found: `${h.model ?? '?'}${h.modelSha256 ? `@${String(h.modelSha256).slice(0, 12)}` : ''}`, expected: this.model.id, hint: otherVersion(h.model, this.model) });
    }
    // The codec fields the header repeats must be the model's: a header that says otherwise was
    // edited or damaged (its CRC only proves it was written that way).
    const fields: Array<[string, unknown, unknown]> = [['modality', h.modality, c.modality], ['levels', h.levels, c.levels], ['wavelet', h.wavelet, c.wavelet], ['latentDim', h.latentDim, c.latentDim], ['bits', h.bits, c.bits]];
    for (const [k, got, want] of fields) {
      if (got !== undefined && got !== want) throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${k} is ${JSON.stringify(got)} but model ${c.name} has ${JSON.stringify(want)}` });
    }
  }

  /**
   * One media frame → its int8 latent frame, exactly the values a .wlc record carries (wpt →
   * analysis → round half to even, saturated). Classifiers train on this.
   *
   * @example
   * const q = codec.latents(imageFrame); // latent [12, H/8, W/8], Int8Array
   */
  latents(frame: Frame): LatentFrame {
    const c = this.model.config;
    const media = expectKind(frame, [c.modality], `encoder ${c.name}`) as MediaFrame;
    if (media.shape[0] !== c.channels) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `model ${c.name} codes ${c.channels}-channel ${c.modality}s, got ${media.shape[0]} channels` });
    }
    const rate = trainedSampleRate(c);
    if (media.kind === 'audio' && rate !== undefined && typeof media.meta.sampleRate === 'number' && media.meta.sampleRate !== rate) {
      throw werr('WALLOC_ERR_MODEL_INPUT', { model: c.name, reason: `it codes ${rate} Hz audio, the frame is at ${media.meta.sampleRate} Hz (resample first: walloc-encode does, and so does a resample=${rate} filter before wpt)` });
    }
    const coeffs = wptForward(media, { levels: c.levels, wavelet: c.wavelet });
    return quantizeFrame(this.analysis.encode(coeffs), { bits: c.bits, saturate: true });
  }

  /** One media frame → one packed latent frame (lossless WebP/PNG bytes). */
  async encodeFrame(frame: Frame): Promise<Frame> {
    const c = this.model.config;
    return packFrame(this.latents(frame), { format: c.pack.format, bits: c.bits, ...this.opts.pack });
  }

  /** One packed (or int8 latent) frame → the reconstructed media frame, clamped to range. */
  async decodeFrame(frame: Frame): Promise<MediaFrame> {
    const maxValues = resolveMaxLatentValues(this.opts.limits?.maxLatentValues);
    this.checkDecodedSize(frame.kind === 'packed' ? packInfoOf(frame).latentShape : frame.shape, frame.meta.sourceShape);
    checkMadeBy(frame.meta.model, this.model);
    if (this.model.config.modality === 'audio' && frame.meta.source === undefined) {
      // walloc-encode's audio records are overlapping chunks, not clips: they decode as a stream.
      throw werr('WALLOC_ERR_FRAME_KIND', { stage: `decoder ${this.model.config.name}`, expected: 'whole-clip audio', actual: 'a chunk of a streamed audio .wlc', hint: '; decode such a stream with new AudioStreamDecoder(codec, planFromHeader(reader.header)), or walloc-decode' });
    }
    // Counted in flight: a dispose() meanwhile frees the net only once no decode is using it.
    this.inflight++;
    let coeffs;
    try {
      const synth = await this.synthesizer();
      const q = frame.kind === 'packed' ? await unpackFrame(frame, { maxValues }) : frame;
      coeffs = synth.decode(dequantizeFrame(q, { bits: this.model.config.bits }));
    } finally {
      this.inflight--;
      this.freeRetired();
    }
    const media = wptInverse(coeffs);
    const lo = media.kind === 'audio' ? -1 : -0.5;
    const hi = media.kind === 'audio' ? 1 : 0.5;
    const d = media.data;
    // Volumes keep values outside ±0.5: their window is a percentile (99.9th), not the full range,
    // so the sink clamps to the volume's recorded [min, max] instead (src/codec/volume-codec.ts).
    if (media.kind !== 'volume') for (let i = 0; i < d.length; i++) d[i] = d[i]! < lo ? lo : d[i]! > hi ? hi : d[i]!;
    return makeFrame(media.kind, media.shape, d, media.meta) as MediaFrame;
  }

  /**
   * Refuses a latent shape the model cannot decode, or whose decoded frame (spatial × 2^J per axis)
   * exceeds the limits, before anything is allocated (issue 11).
   */
  private checkDecodedSize(shape: unknown, source?: unknown): void {
    const c = this.model.config;
    const dims = SPATIAL_DIMS[c.modality];
    if (!Array.isArray(shape) || shape.length !== dims + 1 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latent shape ${JSON.stringify(shape)} is not [${c.latentDim}, ...${dims} spatial axes] for model ${c.name}` });
    }
    if (shape[0] !== c.latentDim) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latent has ${String(shape[0])} channels but model ${c.name} expects ${c.latentDim}` });
    const step = 2 ** c.levels;
    // The limits are on the frame the user gets back, as walloc-encode checked it: the size the
    // frame records (each axis at most step − 1 below the padded one, else it is not believed),
    // or the smallest size that pads to this one. The padding itself never adds more than that.
    const padded = (shape as number[]).slice(1).map((d) => d * step);
    const src = Array.isArray(source) ? (source as unknown[]).slice(-dims) : [];
    const spatial = padded.map((p, i) => (typeof src[i] === 'number' && (src[i] as number) <= p && (src[i] as number) > p - step ? (src[i] as number) : p - step + 1));
    const limits = resolveImageLimits(this.opts.limits);
    if (c.modality === 'image') {
      checkImageSize(spatial[1]!, spatial[0]!, limits, 'decoded frame');
      return;
    }
    const samples = spatial.reduce((a, b) => a * b, 1);
    if (samples > limits.maxPixels) {
      throw limitExceeded(`decoded ${c.modality} samples per channel`, samples, limits.maxPixels, RAISE_LIMIT.maxPixels);
    }
  }

  /**
   * The encoder as one Transform stream (media frames in, packed frames out).
   *
   * @example
   * await pipeline(imageFrames, codec.encoder(), new WlcWriter({ header: codec.header() }), out);
   */
  encoder(): Transform {
    return frameTransform((f: Frame) => this.encodeFrame(f));
  }

  /** The decoder as one Transform stream (packed frames in, media frames out). */
  decoder(): Transform {
    return frameTransform((f: Frame) => this.decodeFrame(f));
  }

  private synthesizer(): Promise<Synthesizer> {
    if (this.synth) return this.synth;
    const p: Promise<Synthesizer> = Synthesizer.create(this.model, { backend: this.opts.backend }).then(
      (s) => {
        if (this.synth === p) this.net = s;
        else this.retired.push(s); // disposed while it was being built: freed after the decode
        return s;
      },
      (e: unknown) => {
        if (this.synth === p) this.synth = undefined; // a failed start is not cached
        throw e;
      },
    );
    this.synth = p;
    return p;
  }

  /**
   * Frees the decoder net's TensorFlow.js tensors (at once, or when the decodes in flight end); a
   * later decode builds it again.
   */
  dispose(): void {
    if (this.net) this.retired.push(this.net);
    this.net = undefined;
    this.synth = undefined;
    this.freeRetired();
  }

  private freeRetired(): void {
    if (this.inflight > 0) return;
    for (const s of this.retired.splice(0)) s.dispose();
  }
}
