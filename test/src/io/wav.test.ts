import t from 'tap';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { packageRoot } from '../../../src/paths.js';
import { patchWavSizes, parseWavHeader, readWav, wavHeader } from '../../../src/io/wav.js';
import { encodePcm } from '../../../src/io/pcm.js';

const fixture = (n: string) => join(packageRoot(), 'fixtures', 'audio', n);

async function readAll(bytes: Buffer | AsyncIterable<Uint8Array>, opts = {}) {
  const w = await readWav(Buffer.isBuffer(bytes) ? [bytes] : bytes, opts);
  const parts: Float32Array[][] = [];
  for await (const c of w.chunks(1000)) parts.push(c);
  const n = parts.reduce((s, c) => s + c[0]!.length, 0);
  const out = Array.from({ length: w.info.channels }, () => new Float32Array(n));
  let o = 0;
  for (const c of parts) { c.forEach((ch, i) => out[i]!.set(ch, o)); o += c[0]!.length; }
  return { info: w.info, samples: out };
}

async function* bytewise(buf: Buffer, size = 1): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const { WaveFile } = wavefile as unknown as { WaveFile: new (b?: Uint8Array) => { fmt: { numChannels: number; sampleRate: number }; getSamples(i: boolean, t: Int16ArrayConstructor): Int16Array; fromScratch(c: number, r: number, d: string, s: Int16Array | Float64Array): void; toBuffer(): Uint8Array } };

t.test('a real stereo WAV: header facts and samples agree with the wavefile package', async (t) => {
  const buf = readFileSync(fixture('music_stereo_44k_1s.wav'));
  const { info, samples } = await readAll(buf);
  t.match(info, { sampleRate: 44100, channels: 2, format: 's16le', frames: 44100, container: 'RIFF' });
  const ref = new WaveFile(buf).getSamples(true, Int16Array);
  let same = 0;
  for (let i = 0; i < 44100; i++) if (Math.round(samples[0]![i]! * 32768) === ref[2 * i] && Math.round(samples[1]![i]! * 32768) === ref[2 * i + 1]) same++;
  t.equal(same, 44100);
});

t.test('mono speech at 8 kHz', async (t) => {
  const { info, samples } = await readAll(readFileSync(fixture('speech_mono_8k_2s.wav')));
  t.match(info, { sampleRate: 8000, channels: 1, frames: 16000 });
  t.equal(samples[0]!.length, 16000);
});

t.test('written WAVs are read back by wavefile, bit-exact; unknown length is patched in a file', async (t) => {
  const x = [Float32Array.from({ length: 300 }, (_, i) => Math.sin(i / 9) * 0.7), Float32Array.from({ length: 300 }, (_, i) => Math.cos(i / 4) * 0.3)];
  const data = encodePcm(x, 's16le');
  const known = Buffer.concat([wavHeader({ sampleRate: 48000, channels: 2, format: 's16le', dataBytes: data.length }), data]);
  const w = new WaveFile(known);
  t.equal(w.fmt.sampleRate, 48000);
  t.same([...w.getSamples(true, Int16Array)], [...new Int16Array(data.buffer, data.byteOffset, data.length / 2)]);
  const streamed = Buffer.concat([wavHeader({ sampleRate: 48000, channels: 2, format: 's16le' }), data]);
  t.equal(streamed.readUInt32LE(40), 0xffffffff, 'unknown length as ffmpeg writes it on a pipe');
  const back = await readAll(bytewise(streamed, 7));
  t.equal(back.info.dataBytes, undefined);
  t.same(back.samples.map((c) => [...c]), (await readAll(known)).samples.map((c) => [...c]), 'read to the end of the stream');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-wav-'));
  writeFileSync(join(dir, 'a.wav'), streamed);
  patchWavSizes(join(dir, 'a.wav'), data.length);
  t.ok(readFileSync(join(dir, 'a.wav')).equals(known), 'patched sizes make the canonical file');
  const f32 = Buffer.concat([wavHeader({ sampleRate: 44100, channels: 2, format: 'f32le', dataBytes: 2400 }), encodePcm(x, 'f32le')]);
  t.same((await readAll(f32)).samples.map((c) => [...c]), x.map((c) => [...c]), 'float WAV is exact');
});

t.test('a WAV from ffmpeg on a pipe (0xFFFFFFFF sizes, LIST chunk) is read to its end', async (t) => {
  const head = Buffer.from('5249464600ffffff57415645666d74201000000001000200' + '44ac000010b102000400100049535420' , 'hex');
  t.ok(head.length > 0);
  // Built by hand: RIFF size and data size 0xFFFFFFFF, a LIST chunk before data.
  const fmt = wavHeader({ sampleRate: 44100, channels: 2, format: 's16le' }).subarray(12, 36);
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx'), Buffer.from([0])]);
  const data = encodePcm([new Float32Array(100).fill(0.25), new Float32Array(100).fill(-0.25)], 's16le');
  const riff = Buffer.from('RIFF\xff\xff\xff\xffWAVE', 'latin1');
  const wav = Buffer.concat([riff, fmt, list, Buffer.from('data\xff\xff\xff\xff', 'latin1'), data]);
  const { info, samples } = await readAll(bytewise(wav, 3));
  t.equal(info.frames, undefined);
  t.equal(samples[0]!.length, 100);
  t.ok(Math.abs(samples[1]![99]! + 0.25) < 1e-4);
});

t.test('arecord on a pipe: a data size near 2^31 is "until the recording stops", not a truncation (files stay strict)', async (t) => {
  const good = readFileSync(fixture('music_stereo_44k_1s.wav'));
  const live = Buffer.from(good);
  const off = good.indexOf('data') + 4;
  live.writeUInt32LE(0x7ffffffe, off); // what aplay.c's begin_wave writes when it cannot seek back
  live.writeUInt32LE(0x7ffffffe + 36, 4);
  const got = await readAll(bytewise(live, 4096));
  const want = await readAll(good);
  t.equal(got.samples[0]!.length, want.samples[0]!.length, 'every sample, then a clean end');
  t.same(got.samples[1]!.subarray(0, 100), want.samples[1]!.subarray(0, 100));
  await t.rejects(readAll(live, { totalBytes: live.length }), { code: 'WALLOC_ERR_AUDIO_TRUNCATED' }, 'a file saying so is truncated');
});

t.test('bad WAVs: coded errors, found as early as the input allows', async (t) => {
  const good = readFileSync(fixture('music_stereo_44k_1s.wav'));
  const cut = good.subarray(0, 10000);
  await t.rejects(readAll(cut, { totalBytes: cut.length }), { code: 'WALLOC_ERR_AUDIO_TRUNCATED' }, 'a file shorter than its header says fails before any sample');
  await t.rejects(readAll(bytewise(cut, 4096)), { code: 'WALLOC_ERR_AUDIO_TRUNCATED' }, 'on a pipe it fails at the end');
  // A header announcing 2^31 sample frames (8-bit mono) over a few bytes.
  const huge = Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1, format: 's16le', dataBytes: 100 }), Buffer.alloc(100)]);
  huge.writeUInt16LE(1, 32); huge.writeUInt16LE(8, 34); huge.writeUInt32LE(2 ** 31, 40);
  const w = parseWavHeader(huge)!;
  t.equal(w.info.frames, 2 ** 31);
  await t.rejects(readAll(huge, { totalBytes: huge.length }), { code: 'WALLOC_ERR_AUDIO_TRUNCATED' });
  const adpcm = Buffer.from(good.subarray(0, 44)); adpcm.writeUInt16LE(2, 20);
  await t.rejects(readAll(adpcm), { code: 'WALLOC_ERR_AUDIO_FORMAT', message: /ADPCM/ });
  const bits12 = Buffer.from(good.subarray(0, 44)); bits12.writeUInt16LE(12, 34);
  await t.rejects(readAll(bits12), { code: 'WALLOC_ERR_AUDIO_FORMAT' });
  await t.rejects(readAll(Buffer.from('RIFF\0\0\0\0AVI LIST')), { code: 'WALLOC_ERR_AUDIO_FORMAT' });
  const empty = wavHeader({ sampleRate: 44100, channels: 2, format: 's16le', dataBytes: 0 });
  await t.rejects(readAll(empty), { code: 'WALLOC_ERR_AUDIO_EMPTY' }, 'zero-length audio');
  await t.rejects(readAll(Buffer.alloc(0)), { code: 'WALLOC_ERR_AUDIO_EMPTY' });
  await t.rejects(readAll(good.subarray(0, 30)), { code: 'WALLOC_ERR_AUDIO_TRUNCATED', message: /header/ });
});

t.test('WAVE_FORMAT_EXTENSIBLE float and RF64 headers', async (t) => {
  const x = [Float32Array.of(0.5, -0.25), Float32Array.of(0.125, 1)];
  const data = encodePcm(x, 'f32le');
  const fmt = Buffer.alloc(8 + 40);
  fmt.write('fmt ', 0); fmt.writeUInt32LE(40, 4);
  fmt.writeUInt16LE(0xfffe, 8); fmt.writeUInt16LE(2, 10); fmt.writeUInt32LE(48000, 12); fmt.writeUInt32LE(48000 * 8, 16);
  fmt.writeUInt16LE(8, 20); fmt.writeUInt16LE(32, 22); fmt.writeUInt16LE(22, 24); fmt.writeUInt16LE(32, 26); fmt.writeUInt32LE(3, 28);
  fmt.writeUInt16LE(3, 32); // sub-format GUID begins with the format tag (IEEE float)
  const ds64 = Buffer.alloc(8 + 28); ds64.write('ds64', 0); ds64.writeUInt32LE(28, 4); ds64.writeUInt32LE(data.length, 16);
  const wav = Buffer.concat([Buffer.from('RF64\xff\xff\xff\xffWAVE', 'latin1'), ds64, fmt, Buffer.from('data\xff\xff\xff\xff', 'latin1'), data]);
  const { info, samples } = await readAll(wav);
  t.match(info, { container: 'RF64', format: 'f32le', sampleRate: 48000, frames: 2 });
  t.same(samples.map((c) => [...c]), x.map((c) => [...c]));
});

t.test('a WAV output whose writes fail later (a full disk) fails with WALLOC_ERR_FILE_WRITE: no hang, no short file kept', { skip: process.platform === 'linux' ? false : '/dev/full is Linux' }, async (t) => {
  const { openAudioSink } = await import('../../../src/io/wav.js');
  const { readdirSync, symlinkSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-wav-full-'));
  const full = join(dir, 'full.wav');
  symlinkSync('/dev/full', full); // a device: written in place, every write fails with ENOSPC
  const sink = await openAudioSink(full, { sampleRate: 8000, channels: 1, stdout: process.stdout });
  const chunk = [new Float32Array(8000).fill(0.25)];
  const failure = (async () => {
    for (let i = 0; i < 64; i++) await sink.write(chunk); // 1 MB: past any pipe or stream buffer
    await sink.commit();
  })();
  await t.rejects(failure, { code: 'WALLOC_ERR_FILE_WRITE', message: /ENOSPC/ });
  sink.abort();
  t.same(readdirSync(dir), ['full.wav'], 'nothing else written beside it');
});
