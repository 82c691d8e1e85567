/**
 * Stereo audio codec benchmark: every bundled audio model on held-out recordings, with Opus
 * (ffmpeg's libopus) at the same bitrate measured in the same run.
 *
 * - Recordings: $WALLOC_AUDIO_EVAL_DIR, else data/audio/eval (scripts/fetch-audio.sh: held out
 *   from training), else fixtures/audio (a smoke run only). Each is decoded by ffmpeg to stereo
 *   44.1 kHz float (mono duplicated), the first $WALLOC_AUDIO_BENCH_SECONDS (default 60) seconds.
 * - walloc: the streaming path walloc-encode uses (default 65536-sample chunks, one record each,
 *   margins, trailer), the whole .wlc counted. Encode = samples → .wlc bytes; decode = .wlc records
 *   → samples. One thread: sharp.concurrency(1), and walloc's own stages are single-threaded.
 * - Opus: `ffmpeg -f f32le -i - -c:a libopus -b:a <walloc's kbps>k -f ogg -`, decoded back with
 *   ffmpeg to 44.1 kHz; its times include spawning ffmpeg (about 0.1 s per call), so they are a
 *   lower bound on Opus's own speed.
 * - Metrics: compression ratio against 16-bit stereo PCM (1411.2 kbps), kbps, PSNR as WaLLoC
 *   defines it for audio (10·log10((2·max|x − mean|)²/MSE), per recording, then averaged), SNR,
 *   and encode/decode speed as multiples of real time.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Codec } from '../../src/codec/codec.js';
import { AudioStreamDecoder, AudioStreamEncoder, AUDIO_STREAM_KEY, planAudioStream } from '../../src/codec/audio-stream.js';
import { readWlcSync, writeWlc } from '../../src/container/index.js';
import type { Frame } from '../../src/frame.js';
import { findFfmpeg } from '../../src/io/ffmpeg.js';
import { decodePcm, encodePcm } from '../../src/io/pcm.js';
import { listBundledModels } from '../../src/models/registry.js';
import { packageRoot } from '../../src/paths.js';
import { audioQuality, decodeClip, listAudio } from '../../src/train/audio-data.js';
import type { BenchTable } from './table.js';

const RATE = 44100;

function evalDir(): { dir: string; note: string } {
  if (process.env.WALLOC_AUDIO_EVAL_DIR) return { dir: process.env.WALLOC_AUDIO_EVAL_DIR, note: `recordings: ${process.env.WALLOC_AUDIO_EVAL_DIR}` };
  const data = join(packageRoot(), 'data', 'audio', 'eval');
  if (existsSync(data)) return { dir: data, note: 'recordings: data/audio/eval (held out from training; scripts/fetch-audio.sh)' };
  return { dir: join(packageRoot(), 'fixtures', 'audio'), note: 'recordings: fixtures/audio only (run scripts/fetch-audio.sh for the real evaluation set)' };
}

function ffmpegPipe(args: string[], input: Buffer): Promise<Buffer> {
  const ff = findFfmpeg();
  if (!ff) throw new Error('no ffmpeg');
  return new Promise((resolve, reject) => {
    const p = spawn(ff.path, ['-hide_banner', '-nostdin', '-v', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => { err += c; });
    p.stdin.on('error', () => {});
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${args.join(' ')}: ${err}`))));
    p.stdin.end(input);
  });
}

interface Rec { name: string; x: Float32Array[]; seconds: number }

const flat = (x: Float32Array[], n = x[0]!.length) => { const o = new Float32Array(2 * n); o.set(x[0]!.subarray(0, n)); o.set(x[1]!.subarray(0, n), n); return o; };

async function runWalloc(model: string, recs: Rec[]): Promise<{ bytes: number; encS: number; decS: number; psnr: number[]; snr: number[] }> {
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
    const dec = new AudioStreamDecoder(codec, plan);
    const y = [new Float32Array(n), new Float32Array(n)];
    let o = 0;
    const contents = readWlcSync(wlc);
    for (const m of contents.meta) await dec.push({ type: 'meta', data: m.data });
    for (const item of contents.frames) {
      for (const f of await dec.push(item)) { const k = f.shape[1]!; y[0]!.set((f.data as Float32Array).subarray(0, k), o); y[1]!.set((f.data as Float32Array).subarray(k), o); o += k; }
    }
    for (const f of await dec.end()) { const k = f.shape[1]!; y[0]!.set((f.data as Float32Array).subarray(0, k), o); y[1]!.set((f.data as Float32Array).subarray(k), o); o += k; }
    decS += (performance.now() - t) / 1000;
    dec.dispose();
    const q = audioQuality(flat(rec.x), flat(y));
    psnr.push(q.psnr);
    snr.push(q.snr);
  }
  codec.dispose();
  return { bytes, encS, decS, psnr, snr };
}

async function runOpus(kbps: number, recs: Rec[]): Promise<{ bytes: number; encS: number; decS: number; psnr: number[]; snr: number[] }> {
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

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function bench(): Promise<BenchTable> {
  const { dir, note } = evalDir();
  const seconds = Number(process.env.WALLOC_AUDIO_BENCH_SECONDS ?? 60);
  const threads = sharp.concurrency();
  sharp.concurrency(1);
  try {
    const recs: Rec[] = [];
    for (const f of listAudio(dir)) {
      const c = await decodeClip(f, { maxSeconds: seconds, skipSeconds: 0 });
      const x = [new Float32Array(c.length), new Float32Array(c.length)];
      for (let i = 0; i < c.length; i++) { x[0]![i] = c.pcm[2 * i]! / 32768; x[1]![i] = c.pcm[2 * i + 1]! / 32768; }
      recs.push({ name: f, x, seconds: c.length / RATE });
    }
    const total = recs.reduce((s, r) => s + r.seconds, 0);
    const rows: BenchTable['rows'] = [];
    const models = listBundledModels().filter((m) => m.modality === 'audio').map((m) => m.name);
    for (const model of models) {
      const w = await runWalloc(model, recs);
      const kbps = (8 * w.bytes) / total / 1000;
      rows.push([model, `${(1411.2 / kbps).toFixed(1)}:1`, kbps, mean(w.psnr), mean(w.snr), total / w.encS, total / w.decS]);
      if (findFfmpeg()) {
        const o = await runOpus(kbps, recs);
        const okbps = (8 * o.bytes) / total / 1000;
        rows.push([`Opus (libopus) at ${kbps.toFixed(1)} kb/s`, `${(1411.2 / okbps).toFixed(1)}:1`, okbps, mean(o.psnr), mean(o.snr), total / o.encS, total / o.decS]);
      }
    }
    return {
      title: `Stereo audio on ${recs.length} held-out recordings (${(total / 60).toFixed(1)} min at 44.1 kHz)`,
      columns: ['codec', 'ratio vs 16-bit PCM', 'kbps', 'PSNR dB', 'SNR dB', 'encode × real time', 'decode × real time'],
      rows,
      notes: [
        note,
        `first ${seconds} s of each recording; PSNR is WaLLoC's peak-normalised audio PSNR, averaged over recordings; ratio and kbps count the whole .wlc / .ogg bytes.`,
        'walloc: streaming path with 65536-sample chunks, one thread (sharp.concurrency(1)); Opus times include spawning ffmpeg twice per recording.',
      ],
    };
  } finally {
    sharp.concurrency(threads);
  }
}
