import t from 'tap';
import { makeFrame, type AudioFrame } from '../../src/frame.js';
import { WebAudioProcessor, type WebAudioStage } from '../../src/io/web-audio.js';
import { defaultRegistry } from '../../filters/registry.js';

const RATE = 48000;
function tone(n: number, hz: number[], rate = RATE): Float32Array {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of hz) v += 0.3 * Math.sin((2 * Math.PI * f * i) / rate);
    x[i] = v;
    x[n + i] = -v;
  }
  return x;
}

/** Runs a stage over `x` [2, n] cut into frames of `chunk` samples; returns the joined output. */
async function run(stage: WebAudioStage, x: Float32Array, n: number, chunk: number): Promise<{ y: Float32Array[]; rate: number; pts: number[] }> {
  const p = new WebAudioProcessor(stage);
  const out: AudioFrame[] = [];
  for (let s = 0; s < n; s += chunk) {
    const k = Math.min(chunk, n - s);
    const d = new Float32Array(2 * k);
    d.set(x.subarray(s, s + k));
    d.set(x.subarray(n + s, n + s + k), k);
    out.push(...(await p.push(makeFrame('audio', [2, k], d, { sampleRate: RATE, pts: s }))));
  }
  out.push(...(await p.flush()));
  const len = out.reduce((a, f) => a + f.shape[1]!, 0);
  const y = [new Float32Array(len), new Float32Array(len)];
  let o = 0;
  for (const f of out) {
    const k = f.shape[1]!;
    y[0]!.set(f.data.subarray(0, k), o);
    y[1]!.set(f.data.subarray(k), o);
    o += k;
  }
  return { y, rate: out[0]!.meta.sampleRate!, pts: out.map((f) => f.meta.pts!) };
}

const maxDiff = (a: Float32Array, b: Float32Array, from = 0) => { let m = 0; for (let i = from; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };
const rms = (a: Float32Array, from: number, to: number) => { let s = 0; for (let i = from; i < to; i++) s += a[i]! ** 2; return Math.sqrt(s / (to - from)); };

t.test('gain is exact and chunking does not matter', async (t) => {
  const n = 20000;
  const x = tone(n, [440]);
  const { y, rate } = await run({ type: 'gain', db: -6 }, x, n, 3000);
  t.equal(rate, RATE);
  t.equal(y[0]!.length, n);
  t.ok(maxDiff(y[0]!, x.subarray(0, n).map((v) => v * 10 ** (-6 / 20))) < 1e-5);
});

t.test('low-pass: removes a high tone, keeps a low one, with no seam between chunks', async (t) => {
  const n = 48000;
  const x = tone(n, [200, 12000]);
  const whole = await run({ type: 'lowpass', frequency: 2000, q: 0.7071 }, x, n, n);
  const chunked = await run({ type: 'lowpass', frequency: 2000, q: 0.7071 }, x, n, 4096);
  t.equal(chunked.y[0]!.length, n);
  const seam = maxDiff(whole.y[0]!, chunked.y[0]!, 100);
  t.ok(seam < 1e-3, `chunked vs whole max difference ${seam}`);
  const low = tone(n, [200]);
  const residual = rms(whole.y[0]!.map((v, i) => v - low[i]!), 2000, n);
  t.ok(residual < 0.05, `what is left besides the 200 Hz tone: rms ${residual}`);
});

t.test('resample 48 kHz → 44.1 kHz: exact length, pts in output samples, seamless', async (t) => {
  const n = 48000;
  const x = tone(n, [440]);
  const whole = await run({ type: 'resample', rate: 44100 }, x, n, n);
  const chunked = await run({ type: 'resample', rate: 44100 }, x, n, 5000);
  t.equal(whole.rate, 44100);
  t.equal(whole.y[0]!.length, 44100);
  t.equal(chunked.y[0]!.length, 44100);
  t.equal(chunked.pts[0], 0);
  const seam = maxDiff(whole.y[0]!, chunked.y[0]!, 200);
  t.ok(seam < 2e-3, `chunked vs whole max difference ${seam}`);
  // A 440 Hz tone at 44.1 kHz again.
  const ref = new Float32Array(44100).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 44100));
  t.ok(rms(whole.y[0]!.map((v, i) => v - ref[i]!), 500, 43000) < 0.02);
});

t.test('the four are filters with declarative options', async (t) => {
  for (const name of ['resample', 'lowpass', 'highpass', 'gain']) t.ok(defaultRegistry.get(name), name);
});

t.test('in a graph: a real WAV → highpass → resample → frames at the new rate, whole length', async (t) => {
  const { Writable } = await import('node:stream');
  const { join } = await import('node:path');
  const { runGraph } = await import('../../filters/graph.js');
  const { packageRoot } = await import('../../src/paths.js');
  const frames: AudioFrame[] = [];
  const sink = new Writable({ objectMode: true, write(f: AudioFrame, _e, cb) { frames.push(f); cb(); } });
  const wav = join(packageRoot(), 'fixtures', 'audio', 'music_stereo_44k_1s.wav');
  await runGraph(`load=file=${wav}:chunk=4096,highpass=f=60,resample=rate=22050`, { outputs: [sink] });
  const total = frames.reduce((a, f) => a + f.shape[1]!, 0);
  t.ok(frames.length > 2, `${frames.length} frames`);
  t.ok(frames.every((f) => f.meta.sampleRate === 22050 && f.shape[0] === 2));
  t.ok(Math.abs(total - 22050) <= 1, `${total} samples for 1 s at 22.05 kHz`);
});
