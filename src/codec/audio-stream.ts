/**
 * Chunked, streaming audio coding with bounded latency and memory, and no seams.
 *
 * The wavelet packet transform at J levels turns every H = 2^J samples into one latent column, but
 * each column depends on about ±4·(2^J − 1) samples around it (bior4.4 has 9 analysis taps), and the
 * periodization of a finite window wraps around. So chunks are coded with context:
 *
 * - Encoder: the signal is cut into chunks of N samples (a multiple of H). Chunk k is transformed
 *   over the window [kN − M, (k+1)N + M) (M margin samples each side) and only its N/H central
 *   latent columns are kept and packed into one record. A column never sees the window's edges, so
 *   the record is what a transform of the whole signal would have produced for those columns.
 * - Decoder: latent columns are appended as records arrive; samples are synthesised over a window
 *   that reaches m columns beyond what is emitted on both sides (m covers the synthesis filters and
 *   the learned decoder's receptive field) and only the interior is written out.
 * - Ends: the stream is extended by P samples of mirror image before its first sample and after its
 *   last (rounded up to a multiple of H), exactly as a whole-file encode reflect-pads; those columns
 *   are coded (P/H extra columns, once) and the decoder crops them, using the true length written in
 *   a final meta record. A stream cut without that record still decodes everything it holds.
 *
 * Algorithmic latency (first sample in → that sample out, ignoring compute) is N + M + m·H samples:
 * a chunk is complete after N samples, the encoder waits M more for its right context, the decoder
 * m·H more. `--latency MS` chooses the largest N that fits (see {@link planAudioStream}).
 *
 * Memory: the encoder holds N + 2M samples per channel, the decoder N/H + 2m columns; nothing
 * grows with the stream, so a live source runs indefinitely.
 */
import { werr } from '../errors.js';
import { makeFrame, type AudioFrame, type Frame } from '../frame.js';
import { wptForward, wptInverse } from '../stages/wpt.js';
import { quantizeFrame, dequantizeArray } from '../stages/quantize.js';
import { packFrame, packInfoOf, unpackFrame, resolveMaxLatentValues, type PackOptions } from '../stages/pack.js';
import { Synthesizer } from '../stages/synthesis.js';
import { trainedSampleRate } from '../models/model-file.js';
import type { Codec } from './codec.js';

/** Where the stream layout lives in the .wlc header. */
export const AUDIO_STREAM_KEY = 'audioStream';
/** Default chunk when neither --latency nor a chunk size is given: 2^16 samples (1.49 s at 44.1 kHz). */
export const DEFAULT_CHUNK_SAMPLES = 65536;

/** The layout of a chunked audio stream, stored in the .wlc header under {@link AUDIO_STREAM_KEY}. */
export interface AudioStreamPlan {
  /** Rate of the coded signal (Hz). */
  sampleRate: number;
  /** Coded channels (always the model's, 2). */
  channels: number;
  /** Samples per latent column, 2^J. */
  hop: number;
  /** N: samples per chunk (a multiple of hop). */
  chunk: number;
  /** M: encoder context samples on each side of a chunk (a multiple of hop). */
  encoderMargin: number;
  /** m: decoder context columns on each side. */
  decoderMargin: number;
  /** P: mirrored samples before the first and after the last sample (a multiple of hop). */
  preroll: number;
  /** N + M + m·hop samples, in milliseconds. */
  latencyMs: number;
}

/** Context samples a J-level bior4.4 packet transform needs on one side (≈ 4·(2^J − 1)), rounded up to columns, plus one column. */
function filterReachColumns(levels: number): number {
  const hop = 2 ** levels;
  return Math.ceil((4 * (hop - 1)) / hop) + 1;
}

/** Columns the learned decoder looks at on one side of a column (0 for the linear decoder). */
export function decoderReceptiveField(codec: Codec): number {
  const d = codec.model.config.decoder;
  if (d.type !== 'resnet' || d.width === 0) return 0;
  const half = (d.kernel - 1) >> 1;
  return half * (1 + 2 * d.blocks);
}

/**
 * Chooses the chunk for a latency budget (or takes an explicit chunk) and derives the margins.
 *
 * @example
 * planAudioStream(codec, { latencyMs: 200 }); // { chunk: 6144, …, latencyMs: 203.2 } at 44.1 kHz, J=8, linear decoder
 */
export function planAudioStream(codec: Codec, opts: { latencyMs?: number; chunk?: number } = {}): AudioStreamPlan {
  const c = codec.model.config;
  if (c.modality !== 'audio') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `model ${c.name} is a ${c.modality} codec, not an audio codec` });
  const sampleRate = modelSampleRate(codec);
  const hop = 2 ** c.levels;
  const reach = filterReachColumns(c.levels);
  const encoderMargin = reach * hop;
  const decoderMargin = reach + decoderReceptiveField(codec);
  const preroll = Math.max(encoderMargin, decoderMargin * hop) + hop;
  const fixed = encoderMargin + decoderMargin * hop;
  let chunk: number;
  if (opts.chunk !== undefined) {
    if (!Number.isSafeInteger(opts.chunk) || opts.chunk < hop || opts.chunk % hop !== 0) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `the chunk must be a positive multiple of ${hop} samples, got ${opts.chunk}` });
    }
    chunk = opts.chunk;
  } else if (opts.latencyMs !== undefined) {
    const budget = (opts.latencyMs / 1000) * sampleRate - fixed;
    const min = ((hop + fixed) / sampleRate) * 1000;
    if (!(budget >= hop)) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--latency ${opts.latencyMs} ms is below this model's minimum of ${Math.ceil(min)} ms (one ${hop}-sample column plus ${fixed} samples of filter context at ${sampleRate} Hz)` });
    }
    chunk = Math.min(Math.floor(budget / hop) * hop, 1 << 22);
  } else {
    chunk = DEFAULT_CHUNK_SAMPLES;
  }
  const latencyMs = Number((((chunk + fixed) / sampleRate) * 1000).toFixed(1));
  return { sampleRate, channels: c.channels, hop, chunk, encoderMargin, decoderMargin, preroll, latencyMs };
}

/** The rate an audio model was trained at (config.training.sampleRate, else 44.1 kHz). */
export function modelSampleRate(codec: Codec): number {
  const r = trainedSampleRate(codec.model.config);
  return r !== undefined && r > 0 ? r : 44100;
}

/**
 * The rate a stream's audio goes back to: the header's `sourceRate` (what the recording had), or
 * the codec's when the header has none. A rate no recording has (outside 1 kHz..768 kHz, or not
 * an integer) is a damaged or hostile header, which would otherwise make the resampler write
 * gigabytes from a few bytes.
 *
 * @throws WALLOC_ERR_CONTAINER_HEADER
 * @example
 * sourceRateOf({ sourceRate: 48000 }, 44100); // 48000
 */
export function sourceRateOf(header: Record<string, unknown>, codecRate: number, key: 'sourceRate' | 'sampleRate' = 'sourceRate'): number {
  const r = header[key];
  if (r === undefined) return codecRate;
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1000 || r > 768_000) {
    throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${key} ${JSON.stringify(r)} is not a sample rate from 1000 to 768000 Hz` });
  }
  return r;
}

/** Reads and checks the plan a stream header carries. */
export function planFromHeader(header: Record<string, unknown>): AudioStreamPlan {
  const p = header[AUDIO_STREAM_KEY] as Partial<AudioStreamPlan> | undefined;
  const ok = (v: unknown, min = 1) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  if (!p || typeof p !== 'object' || !ok(p.sampleRate) || !ok(p.channels) || !ok(p.hop) || !ok(p.chunk) || !ok(p.encoderMargin, 0) || !ok(p.decoderMargin, 0) || !ok(p.preroll, 0)
    || p.chunk! % p.hop! !== 0 || p.preroll! % p.hop! !== 0 || p.decoderMargin! > 4096 || p.preroll! > 1 << 20
    // Upper bounds too: the header is the stream's word, and sizes are allocated from it.
    || p.chunk! > 1 << 24 || p.hop! > 1 << 20 || p.encoderMargin! > 1 << 20 || p.sampleRate! > 1_536_000 || p.channels! > 64) {
    throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `the audio stream layout (${AUDIO_STREAM_KEY}) is missing or invalid: ${JSON.stringify(p)?.slice(0, 200)}` });
  }
  return p as AudioStreamPlan;
}

/** A growable per-channel sample buffer with a moving origin (index = absolute position). */
class ChannelBuffer {
  data: Float32Array[];
  /** Absolute index of data[c][0]. */
  start = 0;
  /** Samples held. */
  length = 0;
  constructor(channels: number, capacity: number) {
    this.data = Array.from({ length: channels }, () => new Float32Array(capacity));
  }
  get end(): number { return this.start + this.length; }
  append(chunk: readonly Float32Array[], from = 0, to = chunk[0]!.length): void {
    const n = to - from;
    if (this.length + n > this.data[0]!.length) {
      const cap = Math.max(this.length + n, this.data[0]!.length * 2);
      this.data = this.data.map((d) => { const x = new Float32Array(cap); x.set(d.subarray(0, this.length)); return x; });
    }
    for (let c = 0; c < this.data.length; c++) this.data[c]!.set(chunk[c]!.subarray(from, to), this.length);
    this.length += n;
  }
  appendValue(values: readonly number[]): void {
    this.append(values.map((v) => Float32Array.of(v)));
  }
  /** Drops everything before absolute index `to`. */
  dropBefore(to: number): void {
    const k = Math.min(this.length, Math.max(0, to - this.start));
    if (k === 0) return;
    for (const d of this.data) d.copyWithin(0, k, this.length);
    this.start += k;
    this.length -= k;
  }
  /** Copies absolute [a, b) into a planar [C, b − a] array; positions outside the buffer are 0. */
  window(a: number, b: number): Float32Array {
    const n = b - a;
    const out = new Float32Array(this.data.length * n);
    const lo = Math.max(a, this.start);
    const hi = Math.min(b, this.end);
    if (hi > lo) for (let c = 0; c < this.data.length; c++) out.set(this.data[c]!.subarray(lo - this.start, hi - this.start), c * n + (lo - a));
    return out;
  }
  at(c: number, i: number): number { return this.data[c]![i - this.start]!; }
}

/**
 * Encodes planar audio chunks (any sizes, as they arrive) into packed latent records of one
 * chunk each. Feed with {@link push}, finish with {@link end}; both return the records now ready.
 * The signal must already be at the model's rate and channel count.
 *
 * @example
 * const enc = new AudioStreamEncoder(codec, planAudioStream(codec, { latencyMs: 250 }));
 * for await (const chunk of audio.chunks) for (const rec of await enc.push(chunk)) writer.write(rec);
 * for (const rec of await enc.end()) writer.write(rec);
 * writer.write({ type: 'meta', data: enc.trailer() });
 */
export class AudioStreamEncoder {
  readonly plan: AudioStreamPlan;
  readonly codec: Codec;
  /** Samples of the real signal received so far. */
  samples = 0;
  /** Records produced so far. */
  records = 0;
  /** Extended-signal coordinates: x'[i] = x[i − P]; `buf` holds x' from buf.start. */
  private readonly buf: ChannelBuffer;
  /** First samples, kept until the pre-roll mirror can be built. */
  private head: ChannelBuffer | undefined;
  /** x' index of the next column to emit (multiple of hop). */
  private emitted = 0;
  private ended = false;

  private readonly pack: PackOptions;

  constructor(codec: Codec, plan: AudioStreamPlan, opts: { pack?: PackOptions } = {}) {
    this.codec = codec;
    this.plan = plan;
    this.pack = opts.pack ?? {};
    this.buf = new ChannelBuffer(plan.channels, plan.chunk + 2 * plan.encoderMargin + 16384);
    this.head = new ChannelBuffer(plan.channels, plan.preroll + 1);
  }

  /** Adds samples; returns the records completed by them. */
  async push(chunk: readonly Float32Array[]): Promise<Frame[]> {
    if (this.ended) throw werr('WALLOC_ERR_INTERNAL', { reason: 'audio pushed after end()' });
    if (chunk.length !== this.plan.channels) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `audio chunk has ${chunk.length} channels, the stream ${this.plan.channels}` });
    const n = chunk[0]!.length;
    if (n === 0) return [];
    this.samples += n;
    if (this.head) {
      this.head.append(chunk);
      if (this.head.length <= this.plan.preroll) return [];
      this.startSignal(this.head);
      this.head = undefined;
    } else {
      this.buf.append(chunk);
    }
    return this.drain(false);
  }

  /** Flushes the tail (mirror-extended); returns the last records. Call {@link trailer} after. */
  async end(): Promise<Frame[]> {
    if (this.ended) return [];
    this.ended = true;
    if (this.samples === 0) throw werr('WALLOC_ERR_AUDIO_EMPTY', { source: 'audio stream' });
    if (this.head) {
      this.startSignal(this.head);
      this.head = undefined;
    }
    // Mirror the last samples after the end, up to a whole column plus P.
    const { hop, preroll } = this.plan;
    const last = preroll + this.samples; // x' length so far
    const target = Math.ceil(last / hop) * hop + preroll;
    for (let i = last; i < target; i++) {
      const src = reflectIndex(i - preroll, this.samples) + preroll;
      this.buf.appendValue(this.buf.data.map((_, c) => (src >= this.buf.start ? this.buf.at(c, src) : 0)));
    }
    return this.drain(true);
  }

  /** The meta record that ends the stream: the true length, so the decoder can crop the mirror. */
  trailer(): { audioLength: number; sampleRate: number } {
    return { audioLength: this.samples, sampleRate: this.plan.sampleRate };
  }

  /** Writes the mirrored pre-roll and the first samples into the buffer. */
  private startSignal(head: ChannelBuffer): void {
    const { preroll } = this.plan;
    const first = head.data.map((d) => d.subarray(0, head.length));
    const mirror = first.map(() => new Float32Array(preroll));
    for (let i = 0; i < preroll; i++) {
      const src = reflectIndex(i - preroll, head.length);
      for (let c = 0; c < first.length; c++) mirror[c]![i] = first[c]![src]!;
    }
    this.buf.append(mirror);
    this.buf.append(first);
  }

  private async drain(final: boolean): Promise<Frame[]> {
    const { chunk, encoderMargin: M } = this.plan;
    const out: Frame[] = [];
    for (;;) {
      const avail = this.buf.end;
      let n: number;
      if (avail >= this.emitted + chunk + M) n = chunk;
      else if (final && avail > this.emitted) n = Math.min(chunk, avail - this.emitted);
      else break;
      out.push(await this.encodeChunk(this.emitted, n));
      this.emitted += n;
      this.buf.dropBefore(this.emitted - M);
    }
    return out;
  }

  private async encodeChunk(from: number, n: number): Promise<Frame> {
    const { hop, encoderMargin: M, channels } = this.plan;
    const c = this.codec.model.config;
    const len = n + 2 * M;
    const win = makeFrame('audio', [channels, len], this.buf.window(from - M, from + n + M), {});
    const coeffs = wptForward(win, { levels: c.levels, wavelet: c.wavelet });
    // Only the central columns are projected (the projection is per column): the margins cost
    // the wavelet transform but not the matrix product.
    const cols = len / hop;
    const keep = n / hop;
    const first = M / hop;
    const bands = coeffs.shape[0]!;
    const central = new Float32Array(bands * keep);
    for (let k = 0; k < bands; k++) central.set(coeffs.data.subarray(k * cols + first, k * cols + first + keep), k * keep);
    const kept = this.codec.analysis.encodeArray(central);
    // Records of the final flush carry the true length: they hold the mirrored tail, which the
    // decoder must crop before it writes anything past the end.
    const meta = this.ended ? { pts: from / hop, bits: c.bits, extra: { audioLength: this.samples } } : { pts: from / hop, bits: c.bits };
    const q = quantizeFrame(makeFrame('latent', [c.latentDim, keep], kept, meta), { bits: c.bits, saturate: true });
    this.records++;
    return packFrame(q, { format: c.pack.format, ...this.pack, bits: c.bits });
  }
}

/** Whole-sample symmetric reflection of index i into [0, n) (…2 1 | 0 1 2 … n−1 | n−2 …). */
export function reflectIndex(i: number, n: number): number {
  if (n <= 1) return 0;
  const period = 2 * (n - 1);
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/**
 * Decodes the records of a chunked audio stream into audio frames as they arrive, each cropped
 * to samples that no later record can change. Feed with {@link push}, finish with {@link end}.
 *
 * @example
 * const dec = new AudioStreamDecoder(codec, planFromHeader(header));
 * for await (const item of reader) for (const f of await dec.push(item)) sink.write(f);
 * for (const f of await dec.end()) sink.write(f);
 */
export class AudioStreamDecoder {
  readonly plan: AudioStreamPlan;
  readonly codec: Codec;
  /** Real samples emitted so far. */
  samples = 0;
  private synth?: Synthesizer;
  /** Dequantized latent columns [latentDim][…], absolute column indices. */
  private readonly cols: ChannelBuffer;
  /** x' index of the next sample to emit. */
  private out: number;
  private length: number | undefined;
  private readonly maxValues: number;
  private readonly backend?: string;
  private readonly fillGaps: boolean;
  /** Latent columns filled in for records that never came (with `fillGaps`). */
  gapColumns = 0;

  /**
   * `fillGaps`: a record whose pts lies past the expected column (the ones between were damaged
   * and skipped) is accepted, the missing columns decoded from zero latents (the codec's mean
   * signal: near silence), so one bad record costs its own samples, not the rest of the stream.
   */
  constructor(codec: Codec, plan: AudioStreamPlan, opts: { backend?: string; maxLatentValues?: number; fillGaps?: boolean } = {}) {
    this.codec = codec;
    this.plan = plan;
    const c = codec.model.config;
    if (plan.hop !== 2 ** c.levels || plan.channels !== c.channels) {
      throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `the stream layout (hop ${plan.hop}, ${plan.channels} channels) does not fit model ${c.name}` });
    }
    if (plan.decoderMargin < filterReachColumns(c.levels) + decoderReceptiveField(codec)) {
      // A stream made for another decoder: use the margin this decoder needs (the preroll still covers it).
      (this.plan as { decoderMargin: number }).decoderMargin = filterReachColumns(c.levels) + decoderReceptiveField(codec);
    }
    this.cols = new ChannelBuffer(c.latentDim, plan.chunk / plan.hop + 4 * plan.decoderMargin + 64);
    this.out = plan.preroll;
    this.maxValues = resolveMaxLatentValues(opts.maxLatentValues);
    this.backend = opts.backend;
    this.fillGaps = opts.fillGaps === true;
  }

  /** Takes one record (a packed frame, or the trailer's meta data) and returns the frames now final. */
  async push(item: Frame | { type: 'meta'; data: unknown }): Promise<AudioFrame[]> {
    if ('type' in item && item.type === 'meta') {
      const d = item.data as { audioLength?: unknown } | null;
      if (d && typeof d === 'object' && typeof d.audioLength === 'number' && Number.isSafeInteger(d.audioLength) && d.audioLength >= 0) this.length = d.audioLength;
      return [];
    }
    const f = item as Frame;
    const c = this.codec.model.config;
    const shape = f.kind === 'packed' ? packInfoOf(f).latentShape : f.shape;
    if (shape.length !== 2 || shape[0] !== c.latentDim || !(shape[1]! > 0) || shape[1]! > (1 << 22) / this.plan.hop) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `audio record latent [${shape.join(', ')}] is not [${c.latentDim}, columns] for model ${c.name}` });
    }
    const expected = this.cols.end;
    const gap = f.meta.pts === undefined ? 0 : f.meta.pts - expected;
    // A gap of at most a few chunks (the records a damaged stretch of file held); anything else is
    // a stream out of order.
    if (gap !== 0 && !(this.fillGaps && gap > 0 && gap <= 64 * (this.plan.chunk / this.plan.hop))) {
      throw werr('WALLOC_ERR_CONTAINER_SEQUENCE', { record: `with pts ${f.meta.pts}`, expected: `column ${expected}` });
    }
    if (gap > 0) {
      const zeros = new Float32Array(gap);
      this.cols.append(Array.from({ length: c.latentDim }, () => zeros));
      this.gapColumns += gap;
    }
    const len = f.meta.extra?.audioLength;
    if (typeof len === 'number' && Number.isSafeInteger(len) && len >= 0) this.length = len;
    const q = f.kind === 'packed' ? await unpackFrame(f, { maxValues: this.maxValues }) : f;
    if (!(q.data instanceof Int8Array)) throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'audio decoder', expected: 'packed or int8 latent', actual: q.kind });
    const n = shape[1]!;
    const deq = dequantizeArray(q.data, c.bits);
    this.cols.append(Array.from({ length: c.latentDim }, (_, k) => deq.subarray(k * n, (k + 1) * n)));
    return this.emit(false);
  }

  /** Flushes what remains (cropped to the true length when the trailer was seen). */
  async end(): Promise<AudioFrame[]> {
    return this.emit(true);
  }

  /** True length in samples, once the trailer has been read. */
  get audioLength(): number | undefined { return this.length; }

  private async emit(final: boolean): Promise<AudioFrame[]> {
    const { hop, decoderMargin: m, preroll } = this.plan;
    const T = this.cols.end; // columns received
    let stop = final ? T * hop : (T - m) * hop;
    if (this.length !== undefined) stop = Math.min(stop, preroll + this.length);
    if (stop <= this.out) return [];
    const a = Math.max(this.cols.start, Math.floor(this.out / hop) - m);
    const b = final ? T : Math.min(T, Math.ceil(stop / hop) + m);
    const audio = await this.synthesize(a, b);
    const n = stop - this.out;
    const offset = this.out - a * hop;
    const len = (b - a) * hop;
    const C = this.plan.channels;
    const data = new Float32Array(C * n);
    for (let c = 0; c < C; c++) {
      const src = audio.subarray(c * len + offset, c * len + offset + n);
      for (let i = 0; i < n; i++) { const x = src[i]!; data[c * n + i] = x < -1 ? -1 : x > 1 ? 1 : x; }
    }
    const frame = makeFrame('audio', [C, n], data, { pts: this.out - preroll, sampleRate: this.plan.sampleRate }) as AudioFrame;
    this.out = stop;
    this.samples += n;
    this.cols.dropBefore(Math.floor(this.out / hop) - m);
    return [frame];
  }

  /** Latent columns [a, b) → samples [a·hop, b·hop) (edges only approximately right). */
  private async synthesize(a: number, b: number): Promise<Float32Array> {
    const c = this.codec.model.config;
    this.synth ??= await Synthesizer.create(this.codec.model, { backend: this.backend });
    const lat = this.cols.window(a, b);
    const coeffs = this.synth.decode(makeFrame('latent', [c.latentDim, b - a], lat, { bits: c.bits }));
    const meta = { source: 'audio' as const, sourceShape: [c.channels, (b - a) * this.plan.hop], pad: [[0, 0]] as Array<[number, number]>, levels: c.levels, wavelet: c.wavelet };
    return wptInverse(makeFrame('coeffs', coeffs.shape, coeffs.data, meta)).data;
  }

  dispose(): void {
    this.synth?.dispose();
  }
}
