/**
 * Training data for audio codecs: a folder tree of real recordings (scripts/fetch-audio.sh), each
 * decoded once (WAV natively, other formats by ffmpeg) to stereo at the model's rate (44.1 kHz; mono is duplicated, other rates
 * resampled, more than two channels keep the first two) and kept in memory as 16-bit integers,
 * then sampled as random crops with a seeded generator, like ./photos.ts for images.
 *
 * Level handling (a choice that differs from WaLLoC, on purpose): WaLLoC removes the mean and
 * peak-normalises every training crop to ±0.5. A streaming codec cannot do that (it would need
 * the peak of the future and a gain sent beside the latents), so the codec here sees audio at its
 * real level, in [-1, 1]. Training therefore uses the recordings at their own level, with only the
 * DC offset of each recording removed, and a random gain of −12…0 dB per crop (`gain: true`) so
 * quiet passages are represented. Quality is reported as WaLLoC reports it — PSNR of the
 * peak-normalised signal, 10·log10((2·max|x − mean x|)² / MSE) — and as plain SNR.
 */
import { listFiles } from '../io/walk.js';
import { werr } from '../errors.js';
import { makeFrame, type AudioFrame } from '../frame.js';
import { Readable } from 'node:stream';
import { openAudio } from '../io/audio-source.js';
import { openInput } from '../io/input.js';

/** Recordings by extension (walloc-encode's audio path, batches, training sets); ffmpeg reads all but WAV. */
export const AUDIO_EXTENSIONS = new Set(['.wav', '.w64', '.ogg', '.oga', '.flac', '.mp3', '.mp2', '.opus', '.spx', '.m4a', '.m4b', '.aac', '.alac',
  '.aiff', '.aif', '.aifc', '.caf', '.au', '.snd', '.wma', '.amr', '.ac3', '.tta', '.wv', '.ape', '.mka']);

export interface Clip {
  path: string;
  /** Interleaved stereo, 16-bit. */
  pcm: Int16Array;
  /** Sample frames. */
  length: number;
}

/** Lists audio files under a folder (recursively), sorted for reproducibility. */
export function listAudio(dir: string): string[] {
  return listFiles(dir, AUDIO_EXTENSIONS);
}

export interface LoadClipsOptions {
  sampleRate?: number;
  /** Keep at most this many seconds per recording (default 40). */
  maxSeconds?: number;
  /** Skip this many seconds at the start when the recording is long enough (default 5). */
  skipSeconds?: number;
  /** Shorter recordings are skipped. */
  minSamples?: number;
  onProgress?: (done: number, total: number) => void;
  onSkip?: (path: string, reason: string) => void;
}

/**
 * Decodes one recording to stereo 16-bit at `sampleRate`, DC removed, at most `maxSeconds`.
 *
 * @example
 * const clip = await decodeClip('data/audio/train/drascula__track1.ogg');
 */
export async function decodeClip(path: string, opts: LoadClipsOptions = {}): Promise<Clip> {
  const rate = opts.sampleRate ?? 44100;
  const max = Math.round((opts.maxSeconds ?? 40) * rate);
  const skip = Math.round((opts.skipSeconds ?? 5) * rate);
  // The path walloc-encode reads recordings by: PCM and float WAV natively (its checks, NaN
  // samples and the rate floor included), anything else (µ-law WAV too) through ffmpeg.
  const input = await openInput(path, Readable.from([]));
  // Keep [skip, skip + max) when the recording is long; a short one is kept from its start.
  const ring: Float32Array[][] = [];
  let got = 0;
  try {
    const audio = await openAudio(input, { sampleRate: rate });
    try {
      for await (const chunk of audio.chunks) {
        ring.push(chunk);
        got += chunk[0]!.length;
        if (got >= skip + max) break;
      }
    } finally {
      audio.dispose?.();
    }
  } finally {
    input.stream.destroy();
  }
  if (got === 0) throw werr('WALLOC_ERR_DATASET', { path, reason: 'no audio' });
  const start = got >= skip + max ? skip : Math.max(0, Math.min(skip, got - max));
  const length = Math.min(max, got - start);
  const left = new Float64Array(length);
  const right = new Float64Array(length);
  let pos = 0;
  for (const ch of ring) {
    const l = ch[0]!;
    const r = ch[1] ?? l;
    for (let i = 0; i < l.length; i++, pos++) {
      const j = pos - start;
      if (j < 0 || j >= length) continue;
      left[j] = l[i]!;
      right[j] = r[i]!;
    }
  }
  let ml = 0, mr = 0;
  for (let i = 0; i < length; i++) { ml += left[i]!; mr += right[i]!; }
  ml /= length; mr /= length;
  const pcm = new Int16Array(2 * length);
  const q = (x: number) => Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
  for (let i = 0; i < length; i++) {
    pcm[2 * i] = q(left[i]! - ml);
    pcm[2 * i + 1] = q(right[i]! - mr);
  }
  return { path, pcm, length };
}

/** Loads every recording of a folder (unreadable ones are reported and skipped). */
export async function loadClips(dir: string, opts: LoadClipsOptions = {}): Promise<Clip[]> {
  const files = listAudio(dir);
  if (files.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: `no audio files (${[...AUDIO_EXTENSIONS].join(', ')}) found` });
  const out: Clip[] = [];
  for (const [i, f] of files.entries()) {
    try {
      const c = await decodeClip(f, opts);
      if (c.length >= (opts.minSamples ?? 1)) out.push(c);
      else opts.onSkip?.(f, `shorter than ${opts.minSamples} samples`);
    } catch (e) {
      opts.onSkip?.(f, (e as Error).message);
    }
    opts.onProgress?.(i + 1, files.length);
  }
  if (out.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no usable recordings' });
  return out;
}

/**
 * Cuts `length` samples at `at` into a planar stereo audio frame, times `gain`.
 *
 * @example
 * const frame = clipFrame(clip, 0, 65536);
 */
export function clipFrame(clip: Clip, at: number, length: number, gain = 1, out = new Float32Array(2 * length)): AudioFrame {
  const k = gain / 32768;
  for (let i = 0; i < length; i++) {
    out[i] = clip.pcm[2 * (at + i)]! * k;
    out[length + i] = clip.pcm[2 * (at + i) + 1]! * k;
  }
  return makeFrame('audio', [2, length], out, { sampleRate: 44100 }) as AudioFrame;
}

/**
 * A random crop: recordings picked in proportion to their length, a uniform position, and (with
 * `gain`) a random level of −12…0 dB.
 */
export function randomAudioCrop(clips: Clip[], length: number, next: () => number, gain = true): AudioFrame {
  let total = 0;
  for (const c of clips) total += Math.max(0, c.length - length + 1);
  let pick = next() * total;
  let clip = clips[clips.length - 1]!;
  for (const c of clips) {
    pick -= Math.max(0, c.length - length + 1);
    if (pick <= 0) { clip = c; break; }
  }
  const at = Math.floor(next() * Math.max(1, clip.length - length + 1));
  const g = gain ? 10 ** ((-12 * next()) / 20) : 1;
  return clipFrame(clip, at, Math.min(length, clip.length), g);
}

/** Quality of decoded audio against the reference (planar arrays of equal length). */
export interface AudioQuality {
  /** 10·log10((2·max|x − mean|)² / MSE): PSNR of the peak-normalised signal, as WaLLoC reports it. */
  psnr: number;
  /** 10·log10(Σx² / Σ(x − x̂)²). */
  snr: number;
  mse: number;
}

/**
 * PSNR (WaLLoC's peak-normalised definition) and SNR of a reconstruction.
 *
 * @example
 * audioQuality(original.data, decoded.data); // { psnr: 38.2, snr: 21.4, mse: … }
 */
export function audioQuality(ref: Float32Array, rec: Float32Array): AudioQuality {
  if (ref.length !== rec.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `reference has ${ref.length} samples, reconstruction ${rec.length}` });
  let mean = 0;
  for (let i = 0; i < ref.length; i++) mean += ref[i]!;
  mean /= ref.length;
  let peak = 0, se = 0, energy = 0;
  for (let i = 0; i < ref.length; i++) {
    const x = ref[i]!;
    peak = Math.max(peak, Math.abs(x - mean));
    energy += x * x;
    se += (x - rec[i]!) ** 2;
  }
  const mse = se / ref.length;
  return { psnr: 10 * Math.log10((4 * peak * peak) / Math.max(mse, 1e-20)), snr: 10 * Math.log10(energy / Math.max(se, 1e-20)), mse };
}
