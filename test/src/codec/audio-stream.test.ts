/**
 * Chunked streaming audio: seams, lengths, latency, determinism, and the acceptance test —
 * a streamed encode decodes to within 0.5 dB SNR of decoding the whole file at once.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Codec } from '../../../src/codec/codec.js';
import { AudioStreamDecoder, AudioStreamEncoder, planAudioStream, reflectIndex, type AudioStreamPlan } from '../../../src/codec/audio-stream.js';
import { makeFrame, type Frame } from '../../../src/frame.js';
import { readWav } from '../../../src/io/wav.js';
import { packageRoot } from '../../../src/paths.js';
import { audioQuality } from '../../../src/train/audio-data.js';

const codec = Codec.load('stereo-5x');
t.teardown(() => codec.dispose());

async function music(): Promise<Float32Array[]> {
  const w = await readWav([readFileSync(join(packageRoot(), 'fixtures', 'audio', 'music_stereo_44k_1s.wav'))]);
  const parts: Float32Array[][] = [];
  for await (const c of w.chunks()) parts.push(c);
  const n = parts.reduce((s, c) => s + c[0]!.length, 0);
  const out = [new Float32Array(n), new Float32Array(n)];
  let o = 0;
  for (const c of parts) { out[0]!.set(c[0]!, o); out[1]!.set(c[1]!, o); o += c[0]!.length; }
  return out;
}

/** Encodes `x` pushed in pieces of `piece` samples, then decodes the records; returns both. */
async function roundTrip(x: Float32Array[], plan: AudioStreamPlan, piece: number): Promise<{ records: Frame[]; y: Float32Array[]; frames: number }> {
  const enc = new AudioStreamEncoder(codec, plan);
  const records: Frame[] = [];
  const n = x[0]!.length;
  for (let i = 0; i < n; i += piece) records.push(...await enc.push(x.map((c) => c.subarray(i, Math.min(n, i + piece)))));
  records.push(...await enc.end());
  const dec = new AudioStreamDecoder(codec, plan);
  const out: Frame[] = [];
  for (const r of records) out.push(...await dec.push(r));
  await dec.push({ type: 'meta', data: enc.trailer() });
  out.push(...await dec.end());
  dec.dispose();
  const m = out.reduce((s, f) => s + f.shape[1]!, 0);
  const y = [new Float32Array(m), new Float32Array(m)];
  let o = 0;
  for (const f of out) {
    const k = f.shape[1]!;
    t.equal(f.meta.pts, o, 'frames are contiguous');
    y[0]!.set((f.data as Float32Array).subarray(0, k), o);
    y[1]!.set((f.data as Float32Array).subarray(k), o);
    o += k;
  }
  return { records, y, frames: out.length };
}

const planar = (x: Float32Array[]) => { const n = x[0]!.length; const o = new Float32Array(2 * n); o.set(x[0]!); o.set(x[1]!, n); return o; };

t.test('the plan: latency picks the chunk, and the reported latency is chunk + margins', async (t) => {
  const p = planAudioStream(codec, { latencyMs: 200 });
  t.equal(p.chunk % p.hop, 0);
  t.ok(p.latencyMs <= 200 && p.latencyMs > 190, `latency ${p.latencyMs} ms`);
  t.equal(p.latencyMs, Number((((p.chunk + p.encoderMargin + p.decoderMargin * p.hop) / 44100) * 1000).toFixed(1)));
  t.throws(() => planAudioStream(codec, { latencyMs: 10 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /minimum of \d+ ms/ });
  t.equal(planAudioStream(codec).chunk, 65536);
  t.same([-3, -2, -1, 0, 4, 5, 6].map((i) => reflectIndex(i, 5)), [3, 2, 1, 0, 4, 3, 2]);
});

t.test('streamed decode matches whole-file decode within 0.5 dB SNR (real music, 8 chunk sizes)', async (t) => {
  const x = await music();
  const ref = planar(x);
  // The whole file at once, through the plain frame codec (no chunks, no streaming).
  const whole = await codec.decodeFrame(await codec.encodeFrame(makeFrame('audio', [2, x[0]!.length], ref.slice(), { sampleRate: 44100 })));
  const snrWhole = audioQuality(ref, whole.data as Float32Array).snr;
  for (const latencyMs of [70, 100, 150, 250, 500, 1000]) {
    const plan = planAudioStream(codec, { latencyMs });
    const { y, records } = await roundTrip(x, plan, 4410);
    t.equal(y[0]!.length, x[0]!.length, 'same length out as in');
    const q = audioQuality(ref, planar(y));
    t.ok(Math.abs(q.snr - snrWhole) < 0.5, `latency ${plan.latencyMs} ms (${records.length} records): SNR ${q.snr.toFixed(2)} dB vs whole-file ${snrWhole.toFixed(2)} dB`);
  }
  for (const chunk of [256, 2048]) {
    const { y } = await roundTrip(x, planAudioStream(codec, { chunk }), 1000);
    const q = audioQuality(ref, planar(y));
    t.ok(Math.abs(q.snr - snrWhole) < 0.5, `chunk ${chunk}: SNR ${q.snr.toFixed(2)} dB`);
  }
});

t.test('no seams: chunk sizes change nothing but rounding ties (same latents, same samples)', async (t) => {
  const x = await music();
  const a = await roundTrip(x, planAudioStream(codec, { chunk: 1024 }), 999);
  const b = await roundTrip(x, planAudioStream(codec, { chunk: 65536 }), 44100);
  let maxDiff = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < a.y[c]!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.y[c]![i]! - b.y[c]![i]!));
  t.ok(maxDiff < 0.02, `largest sample difference between chunkings ${maxDiff.toExponential(2)}`);
  const q = audioQuality(planar(b.y), planar(a.y));
  t.ok(q.snr > 40, `the two decodes agree to ${q.snr.toFixed(1)} dB SNR`);
});

t.test('the records do not depend on how the input is cut up', async (t) => {
  const x = await music();
  const plan = planAudioStream(codec, { latencyMs: 300 });
  const a = await roundTrip(x, plan, 100000);
  const b = await roundTrip(x, plan, 333);
  t.equal(a.records.length, b.records.length);
  t.ok(a.records.every((r, i) => Buffer.from(r.data as Uint8Array).equals(Buffer.from(b.records[i]!.data as Uint8Array))), 'byte-identical records');
});

t.test('odd and tiny lengths come back at exactly their length', async (t) => {
  const x = await music();
  for (const n of [1, 2, 100, 255, 257, 3000, 12345]) {
    const part = x.map((c) => c.slice(0, n));
    const { y } = await roundTrip(part, planAudioStream(codec, { latencyMs: 120 }), 64);
    t.equal(y[0]!.length, n, `${n} samples`);
  }
  const enc = new AudioStreamEncoder(codec, planAudioStream(codec));
  await t.rejects(enc.end(), { code: 'WALLOC_ERR_AUDIO_EMPTY' });
});

t.test('a decoder without the trailer still stops at the true end (final records carry it)', async (t) => {
  const x = (await music()).map((c) => c.slice(0, 5000));
  const plan = planAudioStream(codec, { chunk: 1024 });
  const enc = new AudioStreamEncoder(codec, plan);
  const records = [...await enc.push(x), ...await enc.end()];
  const dec = new AudioStreamDecoder(codec, plan);
  let n = 0;
  for (const r of records) for (const f of await dec.push(r)) n += f.shape[1]!;
  for (const f of await dec.end()) n += f.shape[1]!;
  t.equal(n, 5000);
});
