/**
 * The sensor-audio task: spotting spoken command words in one-second stereo windows, read from the
 * audio codec's latents. A small, real keyword-spotting set in the spirit of Speech Commands,
 * built from what installs here:
 *
 * - Words: ten commands spoken by espeak-ng (Debian `espeak-ng`) in many voices: accents
 *   (en, en-us, Scottish, RP, …; en-gb ignores variants) × voice variants (m1…m7, f1…f5, klatt, croak, …), at several
 *   speeds and pitches. Held-out speakers are disjoint from training ones in *both* accent and
 *   variant (see {@link SPEAKERS}), so the held-out accuracy is on voices never heard in training.
 * - Backgrounds: real recordings (music from the project's audio set, `data/audio/{train,eval}`,
 *   scripts/fetch-audio.sh; training backgrounds from the training recordings, held-out ones from
 *   the held-out recordings) at random levels, or quiet noise; an eleventh class `background` is a
 *   window with no word in it.
 * - Each word is placed at a random time wholly inside the window, panned at random, at a random
 *   signal-to-background ratio (−5…+20 dB).
 *
 * A window is 172 latent columns of the 44.1 kHz stereo codec (J = 8: 256 samples per column, so
 * 44,032 samples ≈ 1 s). It is encoded with context on both sides and the central columns kept, as
 * a chunked stream carries them (src/codec/audio-stream.ts), then rounded to int8 exactly as a
 * .wlc record holds them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import { makeFrame } from '../frame.js';
import { parseWavHeader } from '../io/wav.js';
import { loadClips, type Clip } from '../train/audio-data.js';
import { rng } from '../math/random.js';

/** The command words, in label order; the eleventh label is `background`. */
export const SPOKEN_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;
export const SPOKEN_LABELS: readonly string[] = [...SPOKEN_WORDS, 'background'];

/** Latent columns per window (1 s at 44.1 kHz with 256-sample columns). */
export const WINDOW_COLUMNS = 172;
/** Extra columns encoded on each side of a window and dropped, so its edges match a stream's. */
const CONTEXT_COLUMNS = 6;
const RATE = 44100;

/**
 * Speakers as espeak-ng voice names `accent+variant`. Training and held-out speakers share
 * neither an accent nor a variant.
 */
export const SPEAKERS = {
  train: {
    accents: ['en', 'en-us', 'en-gb-scotland', 'en-gb-x-rp'],
    variants: ['m1', 'm2', 'm3', 'm4', 'm5', 'f1', 'f2', 'f3', 'klatt', 'klatt2', 'adam', 'Alex', 'Andy', 'max', 'robert', 'steph'],
  },
  heldOut: {
    accents: ['en-029', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd'],
    variants: ['m6', 'm7', 'f4', 'f5', 'klatt3', 'croak', 'paul', 'linda'],
  },
} as const;

/** True when espeak-ng can be run (tests and training need it). */
export function hasEspeak(): boolean {
  const r = spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

let voiceLists: { languages: Set<string>; variants: Set<string> } | undefined;

/**
 * Throws WALLOC_ERR_DATASET unless espeak-ng knows the voice's language and variant: espeak-ng
 * itself silently falls back to its default voice for an unknown name, which would quietly turn
 * many speakers into one.
 */
export function checkVoice(voice: string): void {
  if (!voiceLists) {
    const rows = (arg: string) => String(spawnSync('espeak-ng', [arg], { encoding: 'utf8' }).stdout ?? '').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    // Voices: "Pty Language Age/Gender VoiceName File …"; variants are the files under !v/.
    voiceLists = {
      // A language is a voice's own code or one of its "(code priority)" other languages ("en").
      languages: new Set(rows('--voices').flatMap((r) => [r[1] ?? '', ...r.slice(5).filter((x) => x.startsWith('(')).map((x) => x.slice(1))]).filter(Boolean)),
      variants: new Set(rows('--voices=variant').flatMap((r) => r.filter((x) => x.startsWith('!v/')).map((x) => x.slice(3)))),
    };
  }
  const [lang, variant] = voice.split('+') as [string, string | undefined];
  if (!voiceLists.languages.has(lang)) throw werr('WALLOC_ERR_DATASET', { path: 'espeak-ng', reason: `no voice for language "${lang}"` });
  if (variant !== undefined && !voiceLists.variants.has(variant)) throw werr('WALLOC_ERR_DATASET', { path: 'espeak-ng', reason: `no voice variant "${variant}"` });
}

/**
 * Speaks one word with espeak-ng and returns it as mono float samples at 44.1 kHz, leading and
 * trailing silence trimmed.
 *
 * @example
 * const left = speak('left', 'en-us+f2', 160, 50);
 */
export function speak(word: string, voice: string, speed: number, pitch: number): Float32Array {
  checkVoice(voice);
  const r = spawnSync('espeak-ng', ['-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout', word], { maxBuffer: 1 << 24 });
  if (r.error || r.status !== 0 || !r.stdout?.length) {
    throw werr('WALLOC_ERR_DATASET', { path: 'espeak-ng', reason: r.error ? `cannot run espeak-ng (${r.error.message}); install Debian's espeak-ng` : `voice ${voice}: ${String(r.stderr ?? '').trim() || `exit status ${r.status}`}` });
  }
  const bytes = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  const head = parseWavHeader(bytes, 'espeak-ng');
  if (!head || head.info.format !== 's16le' || head.info.channels !== 1) throw werr('WALLOC_ERR_DATASET', { path: 'espeak-ng', reason: 'unexpected output (not 16-bit mono WAV)' });
  const n = (bytes.length - head.dataOffset) >> 1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + head.dataOffset, n * 2);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = dv.getInt16(2 * i, true) / 32768;
  // Trim to the first/last sample above −50 dBFS.
  let a = 0;
  let b = n - 1;
  while (a < n && Math.abs(x[a]!) < 0.003) a++;
  while (b > a && Math.abs(x[b]!) < 0.003) b--;
  return resample(x.subarray(a, b + 1), head.info.sampleRate, RATE);
}

/** Linear-interpolation resampling (espeak-ng speaks at 22.05 kHz; the codec runs at 44.1 kHz). */
function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return Float32Array.from(x);
  const n = Math.max(1, Math.floor((x.length * to) / from));
  const out = new Float32Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const p = i * step;
    const k = Math.floor(p);
    const f = p - k;
    out[i] = (x[k] ?? 0) * (1 - f) + (x[Math.min(x.length - 1, k + 1)] ?? 0) * f;
  }
  return out;
}

/** One spoken word: the samples and who said it. */
export interface Utterance {
  label: number;
  voice: string;
  samples: Float32Array;
}

export interface SpokenWordsOptions {
  split: 'train' | 'heldOut';
  /** Speeds in words per minute (default 130, 175). */
  speeds?: number[];
  /** espeak-ng pitches 0…99 (default 35, 65). */
  pitches?: number[];
  /** At most this many speakers (accent × variant pairs, spread over both); default all. */
  maxSpeakers?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Synthesises every word for every speaker of a split at every speed and pitch.
 *
 * @example
 * const utts = speakAll({ split: 'heldOut', maxSpeakers: 4 });
 */
export function speakAll(o: SpokenWordsOptions): Utterance[] {
  const s = SPEAKERS[o.split];
  let voices: string[] = [];
  for (const v of s.variants) for (const a of s.accents) voices.push(`${a}+${v}`);
  if (o.maxSpeakers && o.maxSpeakers < voices.length) {
    // Spread the subset over accents and variants alike.
    const step = voices.length / o.maxSpeakers;
    voices = Array.from({ length: o.maxSpeakers }, (_, i) => voices[Math.floor(i * step)]!);
  }
  const speeds = o.speeds ?? [130, 175];
  const pitches = o.pitches ?? [35, 65];
  const out: Utterance[] = [];
  const total = voices.length * speeds.length * pitches.length * SPOKEN_WORDS.length;
  for (const voice of voices) {
    for (const speed of speeds) {
      for (const pitch of pitches) {
        for (const [label, word] of SPOKEN_WORDS.entries()) {
          const samples = speak(word, voice, speed, pitch);
          // A word longer than the window (a very slow voice) is cut to it.
          out.push({ label, voice, samples: samples.length > WINDOW_COLUMNS * 256 ? samples.subarray(0, WINDOW_COLUMNS * 256) : samples });
          o.onProgress?.(out.length, total);
        }
      }
    }
  }
  return out;
}

/** Real background recordings for a split, or none (then windows get quiet noise only). */
export async function loadBackgrounds(dir: string | undefined, maxSeconds = 20): Promise<Clip[]> {
  if (!dir || !existsSync(dir)) return [];
  return loadClips(dir, { maxSeconds, skipSeconds: 5, minSamples: 4 * RATE });
}

/**
 * Mixes one window: a random background (a real recording at −40…−12 dBFS RMS, or quiet noise)
 * plus, unless `label` is the background class, the utterance at a random place, pan and
 * signal-to-background ratio. Returns planar stereo [2, samples] with the context included.
 */
export function mixWindow(utt: Utterance | undefined, backgrounds: readonly Clip[], next: () => number): Float32Array {
  const n = (WINDOW_COLUMNS + 2 * CONTEXT_COLUMNS) * 256;
  const ctx = CONTEXT_COLUMNS * 256;
  const out = new Float32Array(2 * n);
  // Background.
  const bgLevel = 10 ** ((-40 + 28 * next()) / 20);
  if (backgrounds.length && next() < 0.8) {
    const clip = backgrounds[Math.floor(next() * backgrounds.length)]!;
    const at = Math.floor(next() * Math.max(1, clip.length - n));
    let e = 0;
    for (let i = 0; i < n && at + i < clip.length; i++) {
      const l = clip.pcm[2 * (at + i)]! / 32768;
      const r = clip.pcm[2 * (at + i) + 1]! / 32768;
      out[i] = l;
      out[n + i] = r;
      e += l * l + r * r;
    }
    const rms = Math.sqrt(e / (2 * n));
    const g = rms > 1e-6 ? bgLevel / rms : 0;
    for (let i = 0; i < 2 * n; i++) out[i]! *= g;
  } else {
    for (let i = 0; i < 2 * n; i++) out[i] = bgLevel * 0.3 * (next() + next() + next() - 1.5);
  }
  if (utt) {
    const w = utt.samples;
    let e = 0;
    for (let i = 0; i < w.length; i++) e += w[i]! * w[i]!;
    const rms = Math.sqrt(e / Math.max(1, w.length));
    const snr = -5 + 25 * next();
    const level = Math.min(0.3, bgLevel * 10 ** (snr / 20));
    const g = rms > 1e-6 ? level / rms : 0;
    const pan = 0.2 + 0.6 * next();
    const gl = g * Math.sqrt(2 * (1 - pan));
    const gr = g * Math.sqrt(2 * pan);
    const room = WINDOW_COLUMNS * 256 - w.length;
    const at = ctx + Math.floor(next() * Math.max(1, room));
    for (let i = 0; i < w.length && at + i < n; i++) {
      out[at + i]! += gl * w[i]!;
      out[n + at + i]! += gr * w[i]!;
    }
  }
  for (let i = 0; i < 2 * n; i++) out[i] = Math.max(-1, Math.min(1, out[i]!));
  return out;
}

/**
 * The int8 latents [N, 172] of one mixed window (context columns encoded, then dropped), exactly
 * the values a stream record holds.
 *
 * @example
 * const lat = windowLatents(codec, mixWindow(utt, [], rng(1)));
 */
export function windowLatents(codec: Codec, mixed: Float32Array): { data: Int8Array; shape: [number, number] } {
  const c = codec.model.config;
  if (c.modality !== 'audio' || 2 ** c.levels !== 256) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `the spoken-words task needs a 44.1 kHz stereo audio codec with J = 8 (like stereo-5x); ${c.name} is ${c.modality} with J = ${c.levels}` });
  const lat = codec.latents(makeFrame('audio', [2, mixed.length / 2], mixed, { sampleRate: RATE }));
  const cols = lat.shape[1]!;
  const N = lat.shape[0]!;
  const kept = new Int8Array(N * WINDOW_COLUMNS);
  const src = lat.data as Int8Array;
  for (let k = 0; k < N; k++) kept.set(src.subarray(k * cols + CONTEXT_COLUMNS, k * cols + CONTEXT_COLUMNS + WINDOW_COLUMNS), k * WINDOW_COLUMNS);
  return { data: kept, shape: [N, WINDOW_COLUMNS] };
}

/**
 * A labelled set of windows: `perWord` windows per word plus as many background windows, drawn from
 * the utterances with a seeded generator.
 */
export function windowPlan(utts: readonly Utterance[], perClass: number, seed: number): Array<Utterance | undefined> {
  const next = rng(seed);
  const byLabel = SPOKEN_WORDS.map((_, k) => utts.filter((u) => u.label === k));
  const out: Array<Utterance | undefined> = [];
  for (let i = 0; i < perClass; i++) {
    for (const list of byLabel) if (list.length) out.push(list[Math.floor(next() * list.length)]!);
    out.push(undefined);
  }
  return out;
}
