/**
 * Audio codec evaluation: compression ratio against 16-bit PCM, kbps, PSNR (as WaLLoC defines it
 * for audio: 10·log10((2·max|x − mean|)²/MSE)), SNR, and encode/decode speed as multiples of real
 * time, through the same streaming path walloc-encode uses; optionally Opus (ffmpeg's libopus) at
 * the same bitrate beside it. `walloc eval` and `npm run bench -- audio` both use it.
 */
import { basename } from 'node:path';
import { Codec } from '../codec/codec.js';
import { AudioStreamDecoder, AudioStreamEncoder, AUDIO_STREAM_KEY, planAudioStream } from '../codec/audio-stream.js';
import { inStreamOrder, readWlcSync, writeWlc } from '../container/index.js';
import { AudioFileDecoder } from '../codec/audio-decode.js';
import type { AudioSink } from '../io/audio-sink.js';
import { werr } from '../errors.js';
import { readOrSkip, type OnSkip } from './skip.js';
import type { Frame } from '../frame.js';
import { spawnFfmpeg } from '../io/ffmpeg.js';
import { decodePcm, encodePcm } from '../io/pcm.js';
import { audioQuality, decodeClip, listAudio } from '../train/audio-data.js';

const RATE = 44100;

/** Runs ffmpeg on `input` (its stdin) and returns its stdout. */
async function ffmpegPipe(args: string[], input: Buffer): Promise<Buffer> {
  const ff = spawnFfmpeg(args);
  const out: Buffer[] = [];
  ff.child.stdout!.on('data', (c: Buffer) => out.push(c));
  ff.child.stdin!.end(input);
  if ((await ff.exited) !== 0) throw await ff.failure('in the Opus comparison');
  return Buffer.concat(out);
}

export interface Recording { name: string; x: Float32Array[]; seconds: number }

const flat = (x: Float32Array[], n = x[0]!.length) => { const o = new Float32Array(2 * n); o.set(x[0]!.subarray(0, n)); o.set(x[1]!.subarray(0, n), n); return o; };

export async function runWalloc(model: string, recs: Recording[]): Promise<{ bytes: number; encS: number; decS: number; psnr: number[]; snr: number[] }> {
  const codec = Codec.load(model);
  const plan = planAudioStream(codec);
  let bytes = 0, encS = 0, decS = 0;
  const psnr: number[] = [], snr: number[] = [];
  // Warm-up (JIT, sharp) on the first second of the first recording.
  {
    const e = new AudioStreamEncoder(codec, plan);
    const r = [...await e.push(recs[0]!.x.map((c) => c.subarray(0, RATE))), ...await e.end()];
    const d = new AudioStreamDecoder(codec, plan);
    for (const f of r) await d.push(f);
    await d.end();
    d.dispose();
  }
  for (const rec of recs) {
    let t = performance.now();
    const enc = new AudioStreamEncoder(codec, plan);
    const records: Frame[] = [];
    const n = rec.x[0]!.length;
    for (let i = 0; i < n; i += 16384) records.push(...await enc.push(rec.x.map((c) => c.subarray(i, Math.min(n, i + 16384)))));
    records.push(...await enc.end());
    const wlc = writeWlc(codec.header({ sampleRate: RATE, [AUDIO_STREAM_KEY]: plan }), [...records, { type: 'meta', data: enc.trailer() }]);
    encS += (performance.now() - t) / 1000;
    bytes += wlc.length;
    t = performance.now();
    // Decoded as walloc-decode decodes the file: records in stream order, into a sink.
    const contents = readWlcSync(wlc);
    const dec = new AudioFileDecoder(codec, contents.header);
    const y = [new Float32Array(n), new Float32Array(n)];
    let o = 0;
    const sink: AudioSink = {
      kind: 'memory',
      async write(planar) {
        const k = Math.min(planar[0]!.length, n - o);
        y[0]!.set(planar[0]!.subarray(0, k), o);
        y[1]!.set(planar[1]!.subarray(0, k), o);
        o += k;
      },
      async commit() {},
      abort() {},
    };
    try {
      await dec.decodeInto(inStreamOrder(contents.frames, contents.meta), sink, rec.name);
    } finally {
      dec.dispose();
    }
    decS += (performance.now() - t) / 1000;
    const q = audioQuality(flat(rec.x), flat(y));
    psnr.push(q.psnr);
    snr.push(q.snr);
  }
  codec.dispose();
  return { bytes, encS, decS, psnr, snr };
}

export async function runOpus(kbps: number, recs: Recording[]): Promise<{ bytes: number; encS: number; decS: number; psnr: number[]; snr: number[] }> {
  let bytes = 0, encS = 0, decS = 0;
  const psnr: number[] = [], snr: number[] = [];
  for (const rec of recs) {
    const raw = encodePcm(rec.x, 'f32le');
    let t = performance.now();
    const ogg = await ffmpegPipe(['-f', 'f32le', '-ar', String(RATE), '-ac', '2', '-i', 'pipe:0', '-c:a', 'libopus', '-b:a', `${kbps.toFixed(1)}k`, '-f', 'ogg', 'pipe:1'], raw);
    encS += (performance.now() - t) / 1000;
    bytes += ogg.length;
    t = performance.now();
    const back = await ffmpegPipe(['-i', 'pipe:0', '-f', 'f32le', '-ar', String(RATE), '-ac', '2', 'pipe:1'], ogg);
    decS += (performance.now() - t) / 1000;
    const y = decodePcm(back.subarray(0, back.length - (back.length % 8)), 'f32le', 2);
    const n = Math.min(y[0]!.length, rec.x[0]!.length);
    const q = audioQuality(flat(rec.x, n), flat(y, n));
    psnr.push(q.psnr);
    snr.push(q.snr);
  }
  return { bytes, encS, decS, psnr, snr };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Decodes every recording under `dir` to stereo 44.1 kHz float, the first `seconds` of each. */
export async function loadRecordings(dir: string, seconds = 60, limit = Infinity, onSkip?: OnSkip): Promise<Recording[]> {
  const recs: Recording[] = [];
  for (const f of listAudio(dir).slice(0, limit)) {
    const c = await readOrSkip(f, () => decodeClip(f, { maxSeconds: seconds, skipSeconds: 0 }), onSkip);
    if (!c) continue;
    const x = [new Float32Array(c.length), new Float32Array(c.length)];
    for (let i = 0; i < c.length; i++) { x[0]![i] = c.pcm[2 * i]! / 32768; x[1]![i] = c.pcm[2 * i + 1]! / 32768; }
    recs.push({ name: basename(f), x, seconds: c.length / RATE });
  }
  if (recs.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: listAudio(dir).length ? 'no readable recording' : 'no audio recordings found' });
  return recs;
}

export interface AudioScores {
  name: string;
  ratio: number;
  kbps: number;
  psnr: number;
  snr: number;
  encodeRealtime: number;
  decodeRealtime: number;
}

/**
 * Evaluates an audio model (and optionally Opus at its bitrate) on recordings.
 *
 * @example
 * const r = await evalAudio(await loadRecordings('data/audio/eval'), { model: 'stereo-5x', compareOpus: true });
 * console.log(r.walloc.kbps, r.walloc.psnr, r.opus?.psnr);
 */
export async function evalAudio(recs: Recording[], opts: { model: string; compareOpus?: boolean }): Promise<{ seconds: number; walloc: AudioScores; opus?: AudioScores }> {
  const total = recs.reduce((s, r) => s + r.seconds, 0);
  const score = (name: string, r: { bytes: number; encS: number; decS: number; psnr: number[]; snr: number[] }): AudioScores => {
    const kbps = (8 * r.bytes) / total / 1000;
    return { name, ratio: 1411.2 / kbps, kbps, psnr: mean(r.psnr), snr: mean(r.snr), encodeRealtime: total / r.encS, decodeRealtime: total / r.decS };
  };
  const walloc = score(opts.model, await runWalloc(opts.model, recs));
  if (!opts.compareOpus) return { seconds: total, walloc };
  const opus = score(`Opus (libopus) at ${walloc.kbps.toFixed(1)} kb/s`, await runOpus(walloc.kbps, recs));
  return { seconds: total, walloc, opus };
}
