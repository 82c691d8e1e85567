/**
 * `classify` on audio streams, as a user runs it: `walloc-encode` turns a real recording into a
 * chunked stereo-5x stream, and `classify` prints one JSON line per window (pts = first sample,
 * t = seconds, latencyMs), whatever the encoder's chunk size; an image classifier refuses the
 * stream with a coded error.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from '../../helpers/io.js';
import { getTf } from '../../../src/models/backend.js';
import { loadModel } from '../../../src/models/model-file.js';
import { codecRef, saveClassifier } from '../../../src/classify/model.js';
import { ClassifierNet } from '../../../src/classify/nets.js';
import { SPOKEN_LABELS } from '../../../src/classify/spoken-words.js';
import { parseWavHeader, wavHeader } from '../../../src/io/wav.js';

interface Line { pts: number; t: number; label: string; score: number; top: Array<[string, number]>; latencyMs: number }
const parse = (b: Buffer): Line[] => b.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

const dir = mkdtempSync(join(tmpdir(), 'walloc-classify-audio-'));

/** The 1 s real music fixture, four times over (4 s of 16-bit stereo at 44.1 kHz). */
function fourSeconds(): string {
  const b = readFileSync('fixtures/audio/music_stereo_44k_1s.wav');
  const h = parseWavHeader(b)!;
  const data = b.subarray(h.dataOffset, h.dataOffset + h.info.dataBytes!);
  const all = Buffer.concat([data, data, data, data]);
  const path = join(dir, 'four.wav');
  writeFileSync(path, Buffer.concat([wavHeader({ sampleRate: 44100, channels: 2, format: 's16le', dataBytes: all.length }), all]));
  return path;
}

/** An (untrained) audio classifier on stereo-5x latents with the spoken-words labels and window. */
async function audioClassifier(): Promise<string> {
  const { tf } = await getTf({ backend: 'cpu' });
  const net = new ClassifierNet(tf, { arch: 'latent-resnet', inChannels: 108, classes: SPOKEN_LABELS.length, stages: [{ width: 8, blocks: 0 }, { width: 8, blocks: 0 }], dims: 1 }, undefined, 1);
  const out = join(dir, 'words-test');
  saveClassifier(out, { name: 'words-test', description: 'test', input: 'latent', codec: codecRef(loadModel('stereo-5x')), labels: [...SPOKEN_LABELS], net: net.getConfig(), window: { columns: 172, hop: 86 } }, net.getWeights());
  net.dispose();
  return out;
}

t.test('one line per window, the same windows whatever the encoder latency', async (t) => {
  const wav = fourSeconds();
  const model = await audioClassifier();
  const results: Line[][] = [];
  for (const latency of ['70', '400']) {
    const wlc = join(dir, `four-${latency}.wlc`);
    const enc = await runBin('walloc-encode', [wav, '--model', 'stereo-5x', '--latency', latency, '-o', wlc]);
    t.equal(enc.code, 0, enc.stderr);
    const r = await runBin('classify', [wlc, '-m', model, '--top', '2']);
    t.equal(r.code, 0, r.stderr);
    const lines = parse(r.stdout);
    // 4 s = 176,400 samples: windows of 44,032 samples every 22,016 → at least 7 complete ones.
    t.ok(lines.length >= 7 && lines.length <= 8, `${lines.length} windows at --latency ${latency}`);
    lines.forEach((l, i) => {
      t.equal(l.pts, i * 86 * 256, 'pts is the first sample of the window');
      t.equal(l.t, Math.round((l.pts / 44100) * 1000) / 1000);
      t.ok(SPOKEN_LABELS.includes(l.label));
      t.equal(l.top.length, 2);
      t.ok(l.latencyMs >= 0);
    });
    results.push(lines);
  }
  // Chunked streams carry the same latent columns (audio-stream.ts), so the windows agree.
  t.same(results[0]!.map((l) => [l.pts, l.label, l.score]), results[1]!.map((l) => [l.pts, l.label, l.score]), 'same windows, labels and scores at both latencies');
  const hop = await runBin('classify', [join(dir, 'four-70.wlc'), '-m', model, '--hop', '250']);
  t.equal(hop.code, 0, hop.stderr);
  const h = parse(hop.stdout);
  t.equal(h[1]!.pts, 43 * 256, '--hop 250 ms: one window every 43 columns');
});

t.test('an image classifier refuses an audio stream; an audio classifier an image stream', async (t) => {
  const wlc = join(dir, 'four-70.wlc');
  const r = await runBin('classify', [wlc, '-m', 'fmnist-latent-resnet']);
  t.not(r.code, 0);
  t.match(r.stderr, /WALLOC_ERR_CLASSIFIER_CODEC/);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('audio shorter than one window: no line, and a note saying why (was silent)', async (t) => {
  const b = readFileSync('fixtures/audio/music_stereo_44k_1s.wav');
  const h = parseWavHeader(b)!;
  const quarter = b.subarray(h.dataOffset, h.dataOffset + 44100); // 0.25 s of 16-bit stereo
  const wav = Buffer.concat([wavHeader({ sampleRate: 44100, channels: 2, format: 's16le', dataBytes: quarter.length }), quarter]);
  const enc = await runBin('walloc-encode', ['-', '-q'], { input: wav });
  t.equal(enc.code, 0, enc.stderr);
  const r = await runBin('classify', ['-', '-m', 'words-stereo-5x'], { input: enc.stdout });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.length, 0);
  t.match(r.stderr, /shorter than one [\d.]+ s window: no line to print/);
});
