/** Audio training data and `walloc train codec --modality audio` on the real fixture recordings. */
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';
import { audioQuality, clipFrame, listAudio, loadClips, randomAudioCrop } from '../../../src/train/audio-data.js';
import { CODEC_TRAIN_DEFAULTS, synthesisGains1d, trainCodec } from '../../../src/train/codec-trainer.js';
import { rng } from '../../../src/math/random.js';
import { Codec } from '../../../src/codec/codec.js';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';

const dir = join(packageRoot(), 'fixtures', 'audio');

t.test('audio quality: PSNR is peak-normalised (WaLLoC), SNR is plain', async (t) => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => 0.25 * Math.sin(i / 10));
  const y = x.map((v, i) => v + (i % 2 ? 0.001 : -0.001));
  const q = audioQuality(x, y);
  t.ok(Math.abs(q.psnr - 10 * Math.log10((0.5 * 0.5) / 1e-6)) < 0.05, `${q.psnr}`);
  t.ok(q.snr > 20 && q.snr < q.psnr);
  t.throws(() => audioQuality(x, y.subarray(1)), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  const g = synthesisGains1d(1, 3, 'haar');
  for (const v of g) t.ok(Math.abs(v - 1) < 1e-5, 'haar 1-D synthesis is orthonormal');
});

t.test('recordings decode to stereo 44.1 kHz (mono duplicated, 8 kHz resampled), DC removed; crops are seeded', { skip: findFfmpeg() ? false : 'no ffmpeg' }, async (t) => {
  t.same(listAudio(dir).map((f) => f.slice(dir.length + 1)), ['music_stereo_44k_1s.wav', 'speech_mono_8k_2s.wav']);
  const clips = await loadClips(dir, { skipSeconds: 0 });
  t.same(clips.map((c) => c.length), [44100, 88200]);
  const speech = clips[1]!;
  let same = true;
  for (let i = 0; i < speech.length; i++) if (speech.pcm[2 * i] !== speech.pcm[2 * i + 1]) same = false;
  t.ok(same, 'mono is duplicated');
  const f = clipFrame(clips[0]!, 0, 44100);
  let mean = 0;
  for (let i = 0; i < 44100; i++) mean += f.data[i]!;
  t.ok(Math.abs(mean / 44100) < 1e-4, 'DC removed');
  const a = randomAudioCrop(clips, 4096, rng(7));
  const b = randomAudioCrop(clips, 4096, rng(7));
  t.same(a.shape, [2, 4096]);
  t.same([...a.data.subarray(0, 50)], [...b.data.subarray(0, 50)]);
});

t.test('a tiny real audio training run: linear floor then a learned 1-D decoder; a working codec', { skip: findFfmpeg() ? false : 'no ffmpeg' }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-train-audio-')), 'm');
  const lines: string[] = [];
  const m = await trainCodec({
    ...CODEC_TRAIN_DEFAULTS, modality: 'audio', data: dir, val: dir, out, name: 'tiny-stereo', levels: 4, latentDim: 8, crop: 2048, batch: 2,
    pcaCrops: 32, width: 8, blocks: 1, steps: 2, epochSteps: 2, checkpointEvery: 2, valImages: 2, valSeconds: 1, warmup: 1, lr: 1e-3, scaleDivisor: 0.5,
    log: (l: string) => lines.push(l),
  });
  t.equal(m.config.modality, 'audio');
  t.equal(m.config.channels, 2);
  t.equal(m.config.decoder.type, 'resnet');
  t.equal((m.config.training as { sampleRate?: number }).sampleRate, 44100);
  t.match(lines.join('\n'), /linear floor: validation PSNR [\d.]+ dB on 2 held-out recordings/);
  const codec = Codec.fromModel(m);
  const x = clipFrame((await loadClips(dir, { skipSeconds: 0 }))[0]!, 0, 44100);
  const y = await codec.decodeFrame(await codec.encodeFrame(x));
  t.same(y.shape, [2, 44100]);
  t.ok(audioQuality(x.data, y.data as Float32Array).psnr > 15);
  codec.dispose();
});

t.test('decodeClip: a µ-law WAV is read through ffmpeg; stopping early closes the file', { skip: findFfmpeg() && process.platform === 'linux' ? false : 'needs ffmpeg and /proc' }, async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { readdirSync, readlinkSync } = await import('node:fs');
  const { decodeClip } = await import('../../../src/train/audio-data.js');
  const tmp = mkdtempSync(join(tmpdir(), 'walloc-clip-'));
  const mulaw = join(tmp, 'mulaw.wav');
  execFileSync(findFfmpeg()!.path, ['-v', 'error', '-i', join(dir, 'speech_mono_8k_2s.wav'), '-c:a', 'pcm_mulaw', '-y', mulaw]);
  const c = await decodeClip(mulaw, { skipSeconds: 0 });
  t.equal(c.length, 88200, 'the 2 s recording at 44.1 kHz');
  const open = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir) || readlinkSync(`/proc/self/fd/${fd}`).startsWith(tmp); } catch { return false; } }).length;
  for (let i = 0; i < 5; i++) {
    await decodeClip(join(dir, 'music_stereo_44k_1s.wav'), { skipSeconds: 0, maxSeconds: 0.1 }); // stops early
    await decodeClip(mulaw, { skipSeconds: 0, maxSeconds: 0.1 });
  }
  await new Promise((r) => setTimeout(r, 200)); // closes are asynchronous
  t.equal(open(), 0, 'no recording left open');
});
