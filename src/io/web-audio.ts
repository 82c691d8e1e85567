/**
 * Sensor-pipeline audio stages on node-web-audio-api's OfflineAudioContext (a Rust implementation
 * of the Web Audio API): gain, biquad low-pass and high-pass, and resampling. An offline context
 * renders one buffer and forgets its state, so a stream is rendered chunk by chunk with the last
 * OVERLAP input samples of the previous chunk prepended and their output dropped: the IIR filters'
 * and the resampler's memory is rebuilt from real signal, and chunk seams vanish. Resampling works
 * on whole periods of the rate ratio (in/g input samples ↔ out/g output samples, g = gcd), carrying
 * the remainder to the next chunk, so the output length is exact.
 */
import { createRequire } from 'node:module';
import { werr } from '../errors.js';
import { expectKind, makeFrame, type AudioFrame, type Frame } from '../frame.js';

type Wa = typeof import('node-web-audio-api');
let wa: Wa | undefined;
function webAudio(): Wa {
  wa ??= createRequire(import.meta.url)('node-web-audio-api') as Wa;
  return wa;
}

export type WebAudioStage =
  | { type: 'gain'; db: number }
  | { type: 'lowpass' | 'highpass'; frequency: number; q: number }
  | { type: 'resample'; rate: number };

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Context samples carried across chunks: long enough for a biquad's and the resampler's memory. */
export const OVERLAP = 2048;

/**
 * One stage applied to a stream of audio frames [C, L] (meta.sampleRate), seamlessly across frames.
 *
 * @example
 * const lp = new WebAudioProcessor({ type: 'lowpass', frequency: 4000, q: 0.707 });
 * const out = [...await lp.push(frame1), ...await lp.push(frame2), ...await lp.flush()];
 */
export class WebAudioProcessor {
  readonly stage: WebAudioStage;
  private history: Float32Array[] | undefined;
  private pending: Float32Array[] | undefined;
  private rate = 0;
  private pts = 0;
  private outPts = 0;
  private meta: AudioFrame['meta'] = {};

  constructor(stage: WebAudioStage) {
    this.stage = stage;
  }

  private outRate(): number {
    return this.stage.type === 'resample' ? this.stage.rate : this.rate;
  }

  /** Input samples per whole period of the rate ratio (1 without resampling). */
  private step(): number {
    return this.stage.type === 'resample' ? this.rate / gcd(this.rate, this.stage.rate) : 1;
  }

  /** Feeds one frame; returns the output frames it completes (zero or one). */
  async push(frame: Frame): Promise<AudioFrame[]> {
    const f = expectKind(frame, ['audio'], this.stage.type) as AudioFrame;
    const [c, n] = f.shape as [number, number];
    const rate = f.meta.sampleRate;
    if (!rate || !Number.isInteger(rate) || rate <= 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${this.stage.type} needs audio frames with a sample rate (meta.sampleRate)` });
    if (this.rate === 0) {
      this.rate = rate;
      this.meta = { ...f.meta };
      this.pts = f.meta.pts ?? 0;
      this.outPts = Math.round((this.pts * this.outRate()) / rate);
    } else if (rate !== this.rate) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `the sample rate changed from ${this.rate} to ${rate} Hz mid-stream` });
    }
    const chans = Array.from({ length: c }, (_, ch) => f.data.subarray(ch * n, (ch + 1) * n));
    const all = this.pending ? chans.map((x, ch) => concat(this.pending![ch]!, x)) : chans.map((x) => Float32Array.from(x));
    const usable = all[0]!.length - (all[0]!.length % this.step());
    this.pending = all.map((x) => x.slice(usable));
    if (usable === 0) return [];
    return [await this.render(all.map((x) => x.subarray(0, usable)))];
  }

  /** Renders what is still buffered (zero-padded to a whole resampling period). */
  async flush(): Promise<AudioFrame[]> {
    if (!this.pending || this.pending[0]!.length === 0) return [];
    const step = this.step();
    const n = this.pending[0]!.length;
    const padded = this.pending.map((x) => { const o = new Float32Array(Math.ceil(n / step) * step); o.set(x); return o; });
    this.pending = undefined;
    const out = await this.render(padded);
    // Drop the output of the padding.
    const keep = Math.round((n * this.outRate()) / this.rate);
    return [makeFrame('audio', [out.shape[0]!, keep], cropChannels(out.data, out.shape[0]!, out.shape[1]!, keep), out.meta)];
  }

  private async render(chunk: Float32Array[]): Promise<AudioFrame> {
    const { OfflineAudioContext, AudioBuffer } = webAudio();
    const c = chunk.length;
    const hist = this.history?.[0]?.length ?? 0;
    const n = chunk[0]!.length;
    const inLen = hist + n;
    const outRate = this.outRate();
    const ratio = outRate / this.rate;
    const outLen = Math.round(inLen * ratio);
    const drop = Math.round(hist * ratio);
    const buf = new AudioBuffer({ numberOfChannels: c, length: inLen, sampleRate: this.rate });
    for (let ch = 0; ch < c; ch++) {
      const d = new Float32Array(inLen);
      if (hist) d.set(this.history![ch]!);
      d.set(chunk[ch]!, hist);
      buf.copyToChannel(d, ch);
    }
    const ctx = new OfflineAudioContext({ numberOfChannels: c, length: outLen, sampleRate: outRate });
    const src = ctx.createBufferSource();
    src.buffer = buf;
    type Node = { connect(n: unknown): Node };
    let node = src as unknown as Node;
    const s = this.stage;
    if (s.type === 'gain') {
      const g = ctx.createGain();
      g.gain.value = 10 ** (s.db / 20);
      node = node.connect(g);
    } else if (s.type === 'lowpass' || s.type === 'highpass') {
      const b = ctx.createBiquadFilter();
      b.type = s.type;
      b.frequency.value = s.frequency;
      b.Q.value = s.q;
      node = node.connect(b);
    }
    node.connect(ctx.destination);
    src.start();
    const rendered = await ctx.startRendering();
    const keep = outLen - drop;
    const data = new Float32Array(c * keep);
    for (let ch = 0; ch < c; ch++) data.set(rendered.getChannelData(ch).subarray(drop, outLen), ch * keep);
    // Keep the tail of the input (at the input rate) as the next chunk's context, in whole periods.
    const step = this.step();
    const h = Math.min(inLen, Math.floor(OVERLAP / step) * step || step);
    this.history = chunk.map((x, ch) => {
      const full = new Float32Array(inLen);
      if (hist) full.set(this.history![ch]!);
      full.set(x, hist);
      return full.slice(inLen - h);
    });
    const frame = makeFrame('audio', [c, keep], data, { ...this.meta, sampleRate: outRate, pts: this.outPts });
    this.outPts += keep;
    return frame;
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const o = new Float32Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

function cropChannels(data: Float32Array, c: number, n: number, keep: number): Float32Array {
  const o = new Float32Array(c * keep);
  for (let ch = 0; ch < c; ch++) o.set(data.subarray(ch * n, ch * n + keep), ch * keep);
  return o;
}
