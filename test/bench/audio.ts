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
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { evalAudio, loadRecordings } from '../../src/eval/audio-eval.js';
import { findFfmpeg } from '../../src/io/ffmpeg.js';
import { listBundledModels } from '../../src/models/registry.js';
import { packageRoot } from '../../src/paths.js';
import type { BenchTable } from './table.js';

function evalDir(): { dir: string; note: string } {
  if (process.env.WALLOC_AUDIO_EVAL_DIR) return { dir: process.env.WALLOC_AUDIO_EVAL_DIR, note: `recordings: ${process.env.WALLOC_AUDIO_EVAL_DIR}` };
  const data = join(packageRoot(), 'data', 'audio', 'eval');
  if (existsSync(data)) return { dir: data, note: 'recordings: data/audio/eval (held out from training; scripts/fetch-audio.sh)' };
  return { dir: join(packageRoot(), 'fixtures', 'audio'), note: 'recordings: fixtures/audio only (run scripts/fetch-audio.sh for the real evaluation set)' };
}

export async function bench(): Promise<BenchTable> {
  const { dir, note } = evalDir();
  const seconds = Number(process.env.WALLOC_AUDIO_BENCH_SECONDS ?? 60);
  const threads = sharp.concurrency();
  sharp.concurrency(1);
  try {
    const recs = await loadRecordings(dir, seconds);
    let total = 0;
    const rows: BenchTable['rows'] = [];
    const models = listBundledModels().filter((m) => m.modality === 'audio').map((m) => m.name);
    for (const model of models) {
      const r = await evalAudio(recs, { model, compareOpus: findFfmpeg() !== null });
      total = r.seconds;
      for (const s of r.opus ? [r.walloc, r.opus] : [r.walloc]) rows.push([s.name, `${s.ratio.toFixed(1)}:1`, s.kbps, s.psnr, s.snr, s.encodeRealtime, s.decodeRealtime]);
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
