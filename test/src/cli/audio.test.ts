/**
 * walloc-encode / walloc-decode on audio as a user runs them: built bins, real recordings, real
 * pipes (including `ffmpeg -i song.ogg -f wav - | walloc-encode | walloc-decode`), raw PCM, mono,
 * and bad input that must leave no output. The long live stream is in ./audio-live.test.ts.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from '../../helpers/io.js';
import { packageRoot } from '../../../src/paths.js';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';
import { readWav, wavHeader } from '../../../src/io/wav.js';
import { decodePcm, encodePcm } from '../../../src/io/pcm.js';
import { audioQuality } from '../../../src/train/audio-data.js';

const fixture = (n: string) => join(packageRoot(), 'fixtures', 'audio', n);
const bin = (name: string) => join(packageRoot(), 'dist', 'src', 'cli', 'bin', `${name}.js`);
const ff = findFfmpeg();

async function wavSamples(buf: Buffer): Promise<{ rate: number; channels: number; data: Float32Array[] }> {
  const w = await readWav([buf]);
  const parts: Float32Array[][] = [];
  for await (const c of w.chunks()) parts.push(c);
  const n = parts.reduce((s, c) => s + c[0]!.length, 0);
  const data = Array.from({ length: w.info.channels }, () => new Float32Array(n));
  let o = 0;
  for (const c of parts) { c.forEach((ch, i) => data[i]!.set(ch, o)); o += c[0]!.length; }
  return { rate: w.info.sampleRate, channels: w.info.channels, data };
}
const flat = (x: Float32Array[]) => { const n = x[0]!.length; const o = new Float32Array(x.length * n); x.forEach((c, i) => o.set(c, i * n)); return o; };

t.test('WAV file → .wlc → WAV file: same length, good PSNR, stats on stderr, no temp files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-'));
  const enc = await runBin('walloc-encode', [fixture('music_stereo_44k_1s.wav'), '-o', join(dir, 'a.wlc')]);
  t.equal(enc.code, 0, enc.stderr);
  t.match(enc.stderr, /1\.00 s of stereo audio in \d+ records? → \d+ bytes \([\d.]+ kbps, [\d.]+:1 .*algorithmic latency [\d.]+ ms/);
  const dec = await runBin('walloc-decode', [join(dir, 'a.wlc'), '-o', join(dir, 'a.wav')]);
  t.equal(dec.code, 0, dec.stderr);
  const a = await wavSamples(readFileSync(fixture('music_stereo_44k_1s.wav')));
  const b = await wavSamples(readFileSync(join(dir, 'a.wav')));
  t.same([b.rate, b.channels, b.data[0]!.length], [44100, 2, 44100]);
  const q = audioQuality(flat(a.data), flat(b.data));
  t.ok(q.psnr > 30, `PSNR ${q.psnr.toFixed(2)} dB`);
  t.same(readdirSync(dir).sort(), ['a.wav', 'a.wlc']);
  const enc2 = await runBin('walloc-encode', [fixture('music_stereo_44k_1s.wav')]);
  const enc3 = await runBin('walloc-encode', [fixture('music_stereo_44k_1s.wav')]);
  t.ok(enc2.stdout.equals(enc3.stdout), 'deterministic');
});

t.test('ffmpeg -i song.ogg -f wav - | walloc-encode --model stereo-5x | walloc-decode -o out.wav', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-'));
  const ogg = join(dir, 'song.ogg');
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ff!.path, ['-v', 'error', '-i', fixture('music_stereo_44k_1s.wav'), '-c:a', 'libvorbis', '-q:a', '6', ogg]);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg ${c}`))));
  });
  const sh = `"${ff!.path}" -v error -i "${ogg}" -f wav - | "${process.execPath}" "${bin('walloc-encode')}" --model stereo-5x | "${process.execPath}" "${bin('walloc-decode')}" -o "${join(dir, 'out.wav')}"`;
  const code = await new Promise<number | null>((resolve) => spawn('bash', ['-o', 'pipefail', '-c', sh], { stdio: 'inherit' }).on('close', resolve));
  t.equal(code, 0);
  const out = await wavSamples(readFileSync(join(dir, 'out.wav')));
  t.equal(out.channels, 2);
  t.ok(Math.abs(out.data[0]!.length - 44100) < 2048, `${out.data[0]!.length} samples (Vorbis adds its own padding)`);
  // Any other media straight from a file, and output through ffmpeg by extension.
  const enc = await runBin('walloc-encode', [ogg, '-o', join(dir, 'b.wlc')]);
  t.equal(enc.code, 0, enc.stderr);
  const dec = await runBin('walloc-decode', [join(dir, 'b.wlc'), '-o', join(dir, 'b.flac')]);
  t.equal(dec.code, 0, dec.stderr);
  t.equal(readFileSync(join(dir, 'b.flac')).subarray(0, 4).toString(), 'fLaC');
  // Compressed audio on stdin (no file name to go by) is known by its first bytes, with no --model.
  for (const file of [ogg, join(dir, 'b.flac')]) {
    const piped = await runBin('walloc-encode', ['-', '-o', join(dir, 'piped.wlc')], { input: readFileSync(file) });
    t.equal(piped.code, 0, `${file} on stdin: ${piped.stderr}`);
    t.match(piped.stderr, /s of stereo audio .* with stereo-5x/);
  }
});

t.test('raw PCM in on stdin (--format --rate --channels), raw PCM out on stdout', async (t) => {
  const a = await wavSamples(readFileSync(fixture('music_stereo_44k_1s.wav')));
  const raw = encodePcm(a.data, 'f32le');
  const enc = await runBin('walloc-encode', ['-', '--format', 'f32le', '--rate', '44100', '--channels', '2', '--latency', '150'], { input: raw });
  t.equal(enc.code, 0, enc.stderr);
  t.match(enc.stderr, /algorithmic latency 1[0-4]\d\.\d ms/);
  const dec = await runBin('walloc-decode', ['-', '--format', 's16le'], { input: enc.stdout });
  t.equal(dec.code, 0, dec.stderr);
  t.equal(dec.stdout.length, 44100 * 4);
  const b = decodePcm(dec.stdout, 's16le', 2);
  t.ok(audioQuality(flat(a.data), flat(b)).psnr > 30);
  const missing = await runBin('walloc-encode', ['-', '--format', 's16le'], { input: raw });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--rate/);
});

t.test('mono 8 kHz speech: resampled to the model rate, duplicated, decoded back to mono at 8 kHz', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-'));
  const enc = await runBin('walloc-encode', [fixture('speech_mono_8k_2s.wav'), '-o', join(dir, 's.wlc')]);
  t.equal(enc.code, 0, enc.stderr);
  t.match(enc.stderr, /2\.00 s of mono audio/);
  // The ratio is against the source as it came (8 kHz mono, 16-bit: 32,000 bytes), not 44.1 kHz stereo.
  const bytes = readFileSync(join(dir, 's.wlc')).length;
  t.match(enc.stderr, new RegExp(` ${(32000 / bytes).toFixed(1).replace('.', '\\.')}:1 vs the source as 16-bit PCM, 8 kHz mono\\)`));
  // WAV on stdout and in a file, raw PCM: all at the source's rate, the samples in their places.
  const src = await wavSamples(readFileSync(fixture('speech_mono_8k_2s.wav')));
  const dec = await runBin('walloc-decode', [join(dir, 's.wlc')]);
  t.equal(dec.code, 0, dec.stderr);
  const out = await wavSamples(dec.stdout);
  t.same([out.channels, out.rate], [1, 8000]);
  t.ok(Math.abs(out.data[0]!.length - 16000) <= 8, `${out.data[0]!.length} samples`);
  const n = Math.min(16000, out.data[0]!.length);
  const q = audioQuality(src.data[0]!.subarray(0, n), out.data[0]!.subarray(0, n));
  t.ok(q.snr > 10, `SNR ${q.snr.toFixed(1)} dB against the 8 kHz original (aligned: no resampling delay)`);
  const file = await runBin('walloc-decode', [join(dir, 's.wlc'), '-o', join(dir, 's.wav')]);
  t.equal(file.code, 0, file.stderr);
  const inFile = readFileSync(join(dir, 's.wav'));
  t.same(inFile.subarray(44), dec.stdout.subarray(44), 'the file holds the samples stdout got');
  t.equal(inFile.readUInt32LE(40), inFile.length - 44, 'and its data size is patched (stdout cannot be)');
  const raw = await runBin('walloc-decode', [join(dir, 's.wlc'), '--format', 'f32le']);
  t.equal(raw.stdout.length, 4 * out.data[0]!.length);
  // --rate picks another rate (44.1 kHz: the codec's own, no ffmpeg), and is for audio only.
  const at44 = await wavSamples((await runBin('walloc-decode', [join(dir, 's.wlc'), '--rate', '44100'])).stdout);
  t.same([at44.rate, at44.data[0]!.length], [44100, 88200]);
  const bad = await runBin('walloc-decode', [join(dir, 's.wlc'), '--rate', '12.5']);
  t.equal(bad.code, 2, bad.stderr);
  t.same(readdirSync(dir).sort(), ['s.wav', 's.wlc']);
});

t.test('a 48 kHz FLAC: its rate is recorded as the source rate and walloc-decode gives 48 kHz back', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-flac-'));
  const flac = join(dir, 'tone.flac');
  execFileSync(ff!.path, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=f=440:r=48000:d=0.5', '-ac', '2', '-c:a', 'flac', '-y', flac]);
  const enc = await runBin('walloc-encode', [flac, '-o', join(dir, 'tone.wlc')]);
  t.equal(enc.code, 0, enc.stderr);
  const { readWlcSync } = await import('../../../src/container/index.js');
  t.match(readWlcSync(readFileSync(join(dir, 'tone.wlc'))).header, { sourceRate: 48000, sampleRate: 44100, container: 'ffmpeg' });
  const dec = await runBin('walloc-decode', [join(dir, 'tone.wlc'), '-o', join(dir, 'back.wav')]);
  t.equal(dec.code, 0, dec.stderr);
  const b = await wavSamples(readFileSync(join(dir, 'back.wav')));
  t.same([b.rate, b.channels], [48000, 2]);
  t.ok(Math.abs(b.data[0]!.length - 24000) < 64, `${b.data[0]!.length} samples`);
  // A source rate MP3 has no encoder for (96 kHz): ffmpeg takes its nearest; an explicit --rate must be exact.
  execFileSync(ff!.path, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=f=440:r=96000:d=0.5', '-c:a', 'flac', '-y', join(dir, 'hi.flac')]);
  t.equal((await runBin('walloc-encode', [join(dir, 'hi.flac'), '-o', join(dir, 'hi.wlc')])).code, 0);
  const mp3 = await runBin('walloc-decode', [join(dir, 'hi.wlc'), '-o', join(dir, 'hi.mp3')]);
  t.equal(mp3.code, 0, mp3.stderr);
  const strict = await runBin('walloc-decode', [join(dir, 'hi.wlc'), '-o', join(dir, 'strict.mp3'), '--rate', '96000']);
  t.equal(strict.code, 1, strict.stderr);
  t.match(strict.stderr, /WALLOC_ERR_FFMPEG_FAILED/);
});

t.test('audio .wlc crosses between the API / filter graphs and the CLI both ways', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-'));
  const { runGraph } = await import('../../../filters/graph.js');
  const src = fixture('music_stereo_44k_1s.wav');
  // A graph writes whole clips (no chunk layout in the header): walloc-decode reads them.
  await runGraph(`load=file=${src},wpt=levels=8,analysis=model=stereo-5x,quantize,pack,save=file=${join(dir, 'g.wlc')}`);
  const dec = await runBin('walloc-decode', [join(dir, 'g.wlc'), '-o', join(dir, 'g.wav')]);
  t.equal(dec.code, 0, dec.stderr);
  const a = await wavSamples(readFileSync(src));
  const b = await wavSamples(readFileSync(join(dir, 'g.wav')));
  t.same([b.rate, b.channels], [44100, 2]);
  const n = Math.min(a.data[0]!.length, b.data[0]!.length);
  t.ok(Math.abs(b.data[0]!.length - a.data[0]!.length) < 1024, `${b.data[0]!.length} samples`);
  t.ok(audioQuality(a.data[0]!.subarray(0, n), b.data[0]!.subarray(0, n)).psnr > 25);
  // walloc-encode's records are overlapping chunks: Codec.decodeFrame says how to decode them.
  const enc = await runBin('walloc-encode', [src, '-o', join(dir, 'c.wlc')]);
  t.equal(enc.code, 0, enc.stderr);
  const { readWlcSync } = await import('../../../src/container/index.js');
  const { Codec } = await import('../../../src/codec/codec.js');
  const { AudioStreamDecoder, planFromHeader } = await import('../../../src/index.js');
  const c = readWlcSync(readFileSync(join(dir, 'c.wlc')));
  const codec = Codec.load('stereo-5x');
  await t.rejects(codec.decodeFrame(c.frames[0]!), { code: 'WALLOC_ERR_FRAME_KIND', message: /AudioStreamDecoder/ });
  const sd = new AudioStreamDecoder(codec, planFromHeader(c.header as Record<string, unknown>));
  let samples = 0;
  for (const f of c.frames) for (const o of await sd.push(f)) samples += o.shape[1]!;
  for (const o of await sd.end()) samples += o.shape[1]!;
  sd.dispose();
  t.ok(Math.abs(samples - 44100) < 2, `the exported stream decoder gives the clip back (${samples} samples)`);
});

t.test('bad audio input: coded errors, exit status 1, and no output file left behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-bad-'));
  const good = readFileSync(fixture('music_stereo_44k_1s.wav'));
  const cases: Array<[string, Buffer, RegExp]> = [];
  cases.push(['truncated.wav', good.subarray(0, 50000), /WALLOC_ERR_AUDIO_TRUNCATED|truncated/]);
  const adpcm = Buffer.from(good); adpcm.writeUInt16LE(2, 20);
  // A file goes to ffmpeg, which fails on these fake ADPCM blocks with its own reason; a pipe gets the native refusal.
  cases.push(['adpcm.wav', adpcm, /ffmpeg failed|unsupported audio .*ADPCM/]);
  cases.push(['empty.wav', wavHeader({ sampleRate: 44100, channels: 2, format: 's16le', dataBytes: 0 }), /no audio samples/]);
  const huge = Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1, format: 's16le', dataBytes: 100 }), Buffer.alloc(100)]);
  huge.writeUInt16LE(1, 32); huge.writeUInt16LE(8, 34); huge.writeUInt32LE(2 ** 31, 40);
  cases.push(['huge.wav', huge, /announces 2147483648 bytes of samples but the file holds only 100/]);
  const three = Buffer.concat([wavHeader({ sampleRate: 44100, channels: 3, format: 's16le', dataBytes: 600 }), Buffer.alloc(600)]);
  cases.push(['three.wav', three, /3 audio channels/]);
  for (const [name, bytes, msg] of cases) {
    writeFileSync(join(dir, name), bytes);
    const r = await runBin('walloc-encode', [join(dir, name), '-o', join(dir, `${name}.wlc`)]);
    t.equal(r.code, 1, `${name}: exit 1`);
    t.match(r.stderr, msg, name);
    t.notOk(existsSync(join(dir, `${name}.wlc`)), `${name}: no output`);
    // The same through a pipe: the error comes at the end, and the output file still never appears.
    // (Not for a data size near 2^31: on a pipe that is what arecord writes for "until I stop",
    // so such a stream ends cleanly where it ends; see test/src/io/wav.test.ts.)
    if (name === 'huge.wav') continue;
    const p = await runBin('walloc-encode', ['-', '-o', join(dir, `${name}.pipe.wlc`)], { input: bytes });
    t.equal(p.code, 1, `${name} on a pipe: exit 1 (${p.stderr.trim()})`);
    t.notOk(existsSync(join(dir, `${name}.pipe.wlc`)));
  }
  t.same(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary files');
});

t.test('audio on stdin in containers not known by their first bytes, or that ffmpeg cannot read from a pipe: the error says what to do', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-stdin-'));
  const make = (name: string, args: string[]) => {
    const path = join(dir, name);
    execFileSync(ff!.path, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=0.5', ...args, '-y', path]);
    return readFileSync(path);
  };
  const caf = await runBin('walloc-encode', ['-', '-o', join(dir, 'caf.wlc')], { input: make('a.caf', []) });
  t.equal(caf.code, 1);
  t.match(caf.stderr, /stdin: no audio samples in the input that ffmpeg could read from a pipe \(CAF.*give its path\) \[WALLOC_ERR_AUDIO_EMPTY\]/);
  const mp4 = await runBin('walloc-encode', ['-', '-o', join(dir, 'mp4.wlc')], { input: make('a.mp4', ['-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov']) });
  t.equal(mp4.code, 1);
  t.match(mp4.stderr, /it has no video stream; if it is audio, give an audio model \(--model stereo-5x\)/);
  const m4a = await runBin('walloc-encode', ['-', '-o', join(dir, 'm4a.wlc')], { input: make('a.m4a', ['-c:a', 'aac', '-f', 'ipod', '-movflags', 'frag_keyframe+empty_moov']) });
  t.equal(m4a.code, 0, m4a.stderr);
  t.notOk(existsSync(join(dir, 'caf.wlc')) || existsSync(join(dir, 'mp4.wlc')), 'no output for the refused ones');
});

t.test('empty raw PCM on stdin is WALLOC_ERR_AUDIO_EMPTY, as an empty WAV is', async (t) => {
  const r = await runBin('walloc-encode', ['-', '--format', 's16le', '--rate', '44100', '--channels', '2', '-o', join(tmpdir(), 'walloc-never-empty.wlc')], { input: Buffer.alloc(0) });
  t.equal(r.code, 1);
  t.match(r.stderr, /stdin: no audio samples in the input \[WALLOC_ERR_AUDIO_EMPTY\]/);
  t.notOk(existsSync(join(tmpdir(), 'walloc-never-empty.wlc')));
});

t.test('--skip-corrupt on audio: a damaged record costs its own samples, the rest decodes in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-skip-'));
  // 8 s of a stereo tone as raw PCM, in 2^14-sample chunks so the stream has many records.
  const rate = 44100;
  const n = 8 * rate;
  const pcm = Buffer.alloc(4 * n);
  for (let i = 0; i < n; i++) { const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)); pcm.writeInt16LE(v, 4 * i); pcm.writeInt16LE(v, 4 * i + 2); }
  const wlc = join(dir, 'a.wlc');
  const enc = await runBin('walloc-encode', ['-', '--format', 's16le', '--rate', String(rate), '--channels', '2', '--latency', '400', '-o', wlc], { input: pcm });
  t.equal(enc.code, 0, enc.stderr);
  const good = readFileSync(wlc);
  const bad = Buffer.from(good);
  bad[good.length >> 1] ^= 0xff;
  writeFileSync(join(dir, 'bad.wlc'), bad);
  const strict = await runBin('walloc-decode', [join(dir, 'bad.wlc'), '-o', join(dir, 'strict.wav')]);
  t.equal(strict.code, 1, 'without --skip-corrupt a damaged record stays fatal');
  const r = await runBin('walloc-decode', [join(dir, 'bad.wlc'), '--skip-corrupt', '-o', join(dir, 'skip.wav')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /CRC-32 mismatch .* skipped bytes/);
  t.match(r.stderr, /samples \([\d.]+ s\) of skipped records were filled with near silence/);
  const ok = await runBin('walloc-decode', [wlc, '-o', join(dir, 'good.wav')]);
  t.equal(ok.code, 0);
  const a = readFileSync(join(dir, 'good.wav'));
  const b = readFileSync(join(dir, 'skip.wav'));
  t.equal(b.length, a.length, 'same length: the audio after the gap keeps its place');
  t.ok(a.subarray(a.length - 4000).equals(b.subarray(b.length - 4000)), 'the end is decoded exactly as from the undamaged stream');
});

t.test('uncompressed audio a filter graph saved (no codec) decodes to WAV with walloc-decode, samples as they were', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-raw-audio-'));
  const wav = join(packageRoot(), 'fixtures', 'audio', 'music_stereo_44k_1s.wav');
  const g = await runBin('walloc', ['filter', `load=file=${wav},gain=-6,save=file=${join(dir, 'quiet.wlc')}`]);
  t.equal(g.code, 0, g.stderr);
  const d = await runBin('walloc-decode', [join(dir, 'quiet.wlc'), '-o', join(dir, 'quiet.wav'), '--format', 'f32le']);
  t.equal(d.code, 0, d.stderr);
  const read = async (path: string) => {
    const w = await readWav([readFileSync(path)]);
    const parts: Float32Array[][] = [];
    for await (const c of w.chunks()) parts.push(c);
    return { info: w.info, left: Float32Array.from(parts.flatMap((c) => [...c[0]!])) };
  };
  const src = await read(wav);
  const out = await read(join(dir, 'quiet.wav'));
  t.match(out.info, { sampleRate: 44100, channels: 2 });
  t.equal(out.left.length, src.left.length);
  let worst = 0;
  for (let i = 0; i < src.left.length; i++) worst = Math.max(worst, Math.abs(out.left[i]! - src.left[i]! * 10 ** (-6 / 20)));
  t.ok(worst < 1e-5, `−6 dB of the source (largest difference ${worst})`);
  const png = await runBin('walloc-decode', [join(dir, 'quiet.wlc'), '-o', join(dir, 'quiet.png')]);
  t.equal(png.code, 2);
  t.match(png.stderr, /this stream holds audio/);
});

t.test('Ctrl-C while a decode waits on a stalled pipe: exit 130 at once, no output file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-decode-stall-'));
  const wlc = join(dir, 'a.wlc');
  t.equal((await runBin('walloc-encode', [fixture('music_stereo_44k_1s.wav'), '-o', wlc])).code, 0);
  const p = spawn(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'bin', 'walloc-decode.js'), '-', '-o', join(dir, 'out.wav')]);
  let stderr = '';
  p.stderr.on('data', (c: Buffer) => { stderr += c; });
  const code = new Promise<number | null>((resolve) => p.on('close', resolve));
  // The header and part of a record, then nothing: the decoder waits for the rest.
  p.stdin.write(readFileSync(wlc).subarray(0, 3000));
  // Its temporary output appears once it has read the header and installed its handlers.
  for (let i = 0; i < 600 && !readdirSync(dir).some((f) => f.startsWith('.out.wav')); i++) await new Promise((r) => setTimeout(r, 50));
  t.ok(readdirSync(dir).some((f) => f.startsWith('.out.wav')), 'the decode has started');
  const t0 = Date.now();
  p.kill('SIGINT');
  t.equal(await code, 130, stderr);
  t.ok(Date.now() - t0 < 5000, 'without waiting for more input');
  t.match(stderr, /interrupted by SIGINT \[WALLOC_ERR_INTERRUPTED\]/);
  p.stdin.destroy();
  t.same(readdirSync(dir).sort(), ['a.wlc'], 'no output, no temporary');
});
