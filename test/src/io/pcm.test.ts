import t from 'tap';
import { bytesPerSample, decodePcm, encodePcm, parseSampleFormat, pcmChunks, SAMPLE_FORMATS, type SampleFormat } from '../../../src/io/pcm.js';

const collect = async (it: AsyncIterable<Float32Array[]>) => {
  const parts: Float32Array[][] = [];
  for await (const c of it) parts.push(c);
  const n = parts.reduce((s, c) => s + c[0]!.length, 0);
  const out = parts[0]?.map(() => new Float32Array(n)) ?? [];
  let o = 0;
  for (const c of parts) { c.forEach((ch, i) => out[i]!.set(ch, o)); o += c[0]!.length; }
  return out;
};

async function* pieces(buf: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let p = 0;
  let i = 0;
  while (p < buf.length) {
    const n = sizes[i++ % sizes.length]!;
    yield buf.subarray(p, p + n);
    p += n;
  }
}

t.test('s16le decodes as ffmpeg does (x/32768) and round-trips exactly', async (t) => {
  const raw = Buffer.alloc(8);
  raw.writeInt16LE(16384, 0); raw.writeInt16LE(-16384, 2); raw.writeInt16LE(32767, 4); raw.writeInt16LE(-32767, 6);
  const [l, r] = decodePcm(raw, 's16le', 2);
  t.same([...l!], [0.5, 32767 / 32768]);
  t.same([...r!], [-0.5, -32767 / 32768]);
  const ints = new Int16Array(65536).map((_, i) => i - 32768);
  const bytes = Buffer.from(ints.buffer);
  t.ok(encodePcm(decodePcm(bytes, 's16le', 2), 's16le').equals(bytes), 'every 16-bit value comes back unchanged');
});

t.test('every format: encode then decode stays within one quantisation step; floats exact', async (t) => {
  const x = [Float32Array.from({ length: 100 }, (_, i) => Math.sin(i / 7) * 0.9), Float32Array.from({ length: 100 }, (_, i) => Math.cos(i / 5) * 0.99)];
  for (const f of SAMPLE_FORMATS) {
    const back = decodePcm(encodePcm(x, f), f, 2);
    const step = f === 'u8' ? 0.5 / 128 : f === 's16le' ? 0.5 / 32768 : f === 's24le' ? 0.5 / 8388608 : f === 's32le' ? 1e-9 : 0;
    let worst = 0;
    for (let c = 0; c < 2; c++) for (let i = 0; i < 100; i++) worst = Math.max(worst, Math.abs(back[c]![i]! - x[c]![i]!));
    t.ok(worst <= step + 1e-7, `${f}: worst error ${worst}`);
    t.equal(encodePcm(x, f).length, 200 * bytesPerSample(f));
  }
  const clipped = decodePcm(encodePcm([Float32Array.of(3, -3, NaN)], 's16le'), 's16le', 1)[0]!;
  t.same([...clipped].map((v) => Math.round(v * 32768)), [32767, -32768, 0], 'out of range is clamped, NaN is silence');
});

t.test('pcmChunks: any chunking of the bytes gives the same samples, in bounded chunks', async (t) => {
  const n = 5000;
  const x = [Float32Array.from({ length: n }, (_, i) => Math.sin(i / 3) * 0.5), Float32Array.from({ length: n }, (_, i) => ((i % 200) - 100) / 200)];
  for (const f of ['s16le', 'f32le', 's24le'] as SampleFormat[]) {
    const bytes = encodePcm(x, f);
    const whole = decodePcm(bytes, f, 2);
    const got = await collect(pcmChunks(pieces(bytes, [1, 7, 1000, 3, 4096]), { format: f, channels: 2, sampleRate: 44100 }, { chunkFrames: 512 }));
    t.same(got.map((c) => [...c]), whole.map((c) => [...c]), f);
  }
  let biggest = 0;
  for await (const c of pcmChunks(pieces(encodePcm(x, 's16le'), [20000]), { format: 's16le', channels: 2, sampleRate: 8000 }, { chunkFrames: 300 })) biggest = Math.max(biggest, c[0]!.length);
  t.equal(biggest, 300);
});

t.test('pcmChunks: a partial sample frame at the end, or fewer bytes than required, is a coded error', async (t) => {
  const bytes = Buffer.alloc(4 * 10 + 3);
  await t.rejects(collect(pcmChunks(pieces(bytes, [5]), { format: 's16le', channels: 2, sampleRate: 44100 })), { code: 'WALLOC_ERR_AUDIO_TRUNCATED' });
  await t.rejects(collect(pcmChunks(pieces(Buffer.alloc(40), [5]), { format: 's16le', channels: 2, sampleRate: 44100 }, { maxBytes: 400, requireAll: true })), { code: 'WALLOC_ERR_AUDIO_TRUNCATED' });
  t.throws(() => parseSampleFormat('s12le'), { code: 'WALLOC_ERR_AUDIO_FORMAT' });
});

t.test('pcmChunks: a NaN or infinite float sample is named (the codec cannot code it)', async (t) => {
  for (const [format, bad] of [['f32le', NaN], ['f64le', Infinity], ['f32le', -Infinity]] as const) {
    const planar = [new Float32Array([0.1, 0.2, 0.3]), new Float32Array([0.1, bad, 0.3])];
    const bytes = format === 'f32le' ? encodePcm(planar, 'f32le') : (() => { const b = Buffer.alloc(6 * 8); [0.1, 0.1, 0.2, bad, 0.3, 0.3].forEach((v, i) => b.writeDoubleLE(v, i * 8)); return b; })();
    await t.rejects(collect(pcmChunks(pieces(bytes, [7]), { format, channels: 2, sampleRate: 44100 }, { source: 'x.wav' })), { code: 'WALLOC_ERR_AUDIO_FORMAT', message: /x\.wav.*sample 1 of channel 2 is (NaN|-?Infinity)/ });
  }
  t.equal((await collect(pcmChunks(pieces(encodePcm([new Float32Array([0.5, -0.5])], 'f32le'), [3]), { format: 'f32le', channels: 1, sampleRate: 8000 }))).length > 0, true, 'finite floats pass');
});
