/**
 * The sensor-audio task (issue 7, item 4), measured in this run with the bundled
 * `words-stereo-5x` classifier:
 * 1. Held-out accuracy and the confusion matrix on windows of held-out speakers (accent and voice
 *    variant never heard in training) over held-out background recordings (data/audio/eval).
 * 2. Cost per 1 s window: the classifier head on the latents against the peer, decoding the same
 *    latents back to PCM (stereo-5x synthesis + inverse transform), which any pixel/PCM-domain
 *    classifier would need first.
 * 3. End-to-end latency from sample to JSON line through the real pipe
 *    `walloc-encode --latency MS - | classify -m words-stereo-5x`: a writer feeds a WAV at real-time
 *    pace and notes when each sample was written; for each line, latency = arrival of the line −
 *    write time of the last sample of its window.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Codec } from '../../src/codec/codec.js';
import { getTf } from '../../src/models/backend.js';
import { packageRoot } from '../../src/paths.js';
import { Classifier, planarToNhwc } from '../../src/classify/classifier.js';
import { hasEspeak, loadBackgrounds, mixWindow, speakAll, SPOKEN_LABELS, WINDOW_COLUMNS, windowLatents, windowPlan } from '../../src/classify/spoken-words.js';
import { evaluate, type InputSet } from '../../src/classify/trainer.js';
import { wavHeader } from '../../src/io/wav.js';
import { makeFrame } from '../../src/frame.js';
import { rng } from '../../src/math/random.js';
import { timeMedian, type BenchTable } from './table.js';

const NAME = 'words-stereo-5x';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Runs the live pipe once and returns the per-line latencies in ms. */
async function livePipe(pcm: Float32Array, latencyMs: number): Promise<{ latencies: number[]; lines: number; processMs: number[] }> {
  const bin = (n: string) => join(packageRoot(), 'dist', 'src', 'cli', 'bin', `${n}.js`);
  const enc = spawn(process.execPath, [bin('walloc-encode'), '-', '--model', 'stereo-5x', '--latency', String(latencyMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const cls = spawn(process.execPath, [bin('classify'), '-', '-m', NAME, '--top', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  enc.stdout.pipe(cls.stdin);
  const n = pcm.length / 2;
  const written = new Float64Array(Math.ceil(n / 441) + 1); // write time of each 10 ms block
  const latencies: number[] = [];
  const processMs: number[] = [];
  let buf = '';
  let lines = 0;
  const done = new Promise<void>((resolve) => cls.on('close', () => resolve()));
  cls.stdout.on('data', (c: Buffer) => {
    const now = performance.now();
    buf += c.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, i)) as { pts: number; latencyMs: number };
      buf = buf.slice(i + 1);
      lines++;
      const last = Math.min(n - 1, line.pts + WINDOW_COLUMNS * 256 - 1);
      const block = Math.floor(last / 441);
      if (written[block]) latencies.push(now - written[block]!);
      processMs.push(line.latencyMs);
    }
  });
  // A WAV header of unknown length (a live source), then 10 ms blocks at real-time pace.
  enc.stdin.write(wavHeader({ sampleRate: 44100, channels: 2, format: 's16le' }));
  const t0 = performance.now();
  for (let b = 0; b * 441 < n; b++) {
    const wait = t0 + b * 10 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const m = Math.min(441, n - b * 441);
    const out = Buffer.alloc(m * 4);
    for (let k = 0; k < m; k++) {
      out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(pcm[2 * (b * 441 + k)]! * 32767))), 4 * k);
      out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(pcm[2 * (b * 441 + k) + 1]! * 32767))), 4 * k + 2);
    }
    enc.stdin.write(out);
    written[b] = performance.now();
  }
  enc.stdin.end();
  await done;
  return { latencies, lines, processMs };
}

export async function bench(): Promise<BenchTable[]> {
  const dir = join(packageRoot(), 'fixtures', 'models', NAME);
  if (!existsSync(join(dir, 'model.json'))) return [{ title: 'Spoken words on stereo-5x latents', columns: ['status'], rows: [[`skipped: ${NAME} is not bundled`]] }];
  if (!hasEspeak()) return [{ title: 'Spoken words on stereo-5x latents', columns: ['status'], rows: [['skipped: espeak-ng is not installed (apt-get install espeak-ng)']] }];
  const { tf, backend } = await getTf();
  const codec = Codec.load('stereo-5x');
  const c = await Classifier.load(NAME);
  const utts = speakAll({ split: 'heldOut' });
  const bgDir = join(packageRoot(), 'data', 'audio', 'eval');
  const bgs = await loadBackgrounds(bgDir);
  const perClass = Number(process.env.WALLOC_BENCH_WORD_WINDOWS ?? 100);
  const plan = windowPlan(utts, perClass, 777);
  const next = rng(424243);
  const N = codec.model.config.latentDim;
  const set: InputSet = { n: plan.length, h: 1, w: WINDOW_COLUMNS, c: N, data: new Float32Array(plan.length * N * WINDOW_COLUMNS), labels: new Uint8Array(plan.length) };
  const latents: Int8Array[] = [];
  const encMs: number[] = [];
  for (const [i, u] of plan.entries()) {
    const mixed = mixWindow(u, bgs, next);
    const t0 = performance.now();
    const { data } = windowLatents(codec, mixed);
    encMs.push(performance.now() - t0);
    latents.push(data);
    planarToNhwc(data, N, WINDOW_COLUMNS, set.data, i * N * WINDOW_COLUMNS);
    set.labels[i] = u ? u.label : SPOKEN_LABELS.length - 1;
  }
  const { accuracy, confusion } = evaluate(tf, c.net, set);
  // Cost per window: head on latents vs decoding the latents to PCM.
  const per = N * WINDOW_COLUMNS;
  let k = 0;
  const head = await timeMedian(() => c.probabilities(set.data.subarray((k % set.n) * per, ((k++ % set.n) + 1) * per), 1, 1, WINDOW_COLUMNS), { reps: 100, warmup: 10 });
  const cfg = codec.model.config;
  const decode = await timeMedian(async () => {
    const lat = makeFrame('latent', [N, WINDOW_COLUMNS], latents[k++ % latents.length]!, { bits: cfg.bits, levels: cfg.levels, wavelet: cfg.wavelet, source: 'audio', sourceShape: [2, WINDOW_COLUMNS * 256] });
    await codec.decodeFrame(lat);
  }, { reps: 30, warmup: 3 });
  const training = c.model.config.training ?? {};
  const accRows: BenchTable['rows'] = [[NAME, `${utts.length / 40} held-out speakers, ${bgs.length} held-out recordings`, set.n, (100 * accuracy).toFixed(2), (100 / SPOKEN_LABELS.length).toFixed(1),
    c.net.parameterCount, ((training.multiplyAdds as number) / 1e6).toFixed(2), head.toFixed(2), decode.toFixed(2), (decode / head).toFixed(1)]];
  const confRows: BenchTable['rows'] = confusion.map((row, t) => [SPOKEN_LABELS[t]!, ...row, `${((100 * row[t]!) / Math.max(1, row.reduce((a, b) => a + b, 0))).toFixed(0)}%`]);

  // Live: 12 s of held-out windows back to back, at real-time pace, at two encoder latencies.
  const live: BenchTable['rows'] = [];
  const pieces = plan.slice(0, 12).map((u) => mixWindow(u, bgs, next));
  const W = WINDOW_COLUMNS * 256;
  const ctx = (pieces[0]!.length / 2 - W) / 2;
  const pcm = new Float32Array(2 * W * pieces.length);
  pieces.forEach((p, i) => {
    const n = p.length / 2;
    for (let s = 0; s < W; s++) {
      pcm[2 * (i * W + s)] = p[ctx + s]!;
      pcm[2 * (i * W + s) + 1] = p[n + ctx + s]!;
    }
  });
  for (const lat of [100, 400]) {
    const r = await livePipe(pcm, lat);
    live.push([`walloc-encode --latency ${lat} - | classify -m ${NAME}`, r.lines, quantile(r.latencies, 0.5).toFixed(0), quantile(r.latencies, 0.95).toFixed(0), Math.max(...r.latencies).toFixed(0), quantile(r.processMs, 0.5).toFixed(1)]);
  }
  c.dispose();
  return [
    {
      title: 'Spoken words on stereo-5x latents: held-out accuracy and cost per 1 s window',
      columns: ['classifier', 'held-out set', 'windows', 'accuracy %', 'chance %', 'parameters', 'M mult-adds/window', 'head ms/window', 'peer: decode to PCM ms/window', 'decode / head'],
      rows: accRows,
      notes: [
        `Backend ${backend}. ${SPOKEN_LABELS.length} classes (ten words and background), ${perClass} windows per class; speakers share neither accent nor voice variant with training; backgrounds from ${bgDir} (never used in training).`,
        `Encoding a window (wpt J=8 + analysis + rounding, with context) takes ${quantile(encMs, 0.5).toFixed(1)} ms (median).`,
      ],
    },
    {
      title: 'Spoken words: confusion matrix on the held-out windows (rows = truth)',
      columns: ['truth \\ predicted', ...SPOKEN_LABELS, 'recall'],
      rows: confRows,
    },
    {
      title: 'Spoken words, live: sample → JSON line latency through the real pipe (ms)',
      columns: ['pipe', 'lines', 'median', 'p95', 'max', 'classify-side median (record in → line out)'],
      rows: live,
      notes: ['A writer feeds 12 s of held-out audio as a WAV of unknown length in 10 ms blocks at real-time pace. Latency counts from the write of the last sample a window needs to the arrival of its line; it includes the encoder\'s chunk (--latency) and its filter context, process hand-offs, and the head.'],
    },
  ];
}
