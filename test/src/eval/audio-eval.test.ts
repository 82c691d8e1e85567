import t from 'tap';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';
import { wallocMain } from '../../../src/cli/walloc.js';
import { memoryIo } from '../../helpers/io.js';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';

const dir = join(packageRoot(), 'fixtures', 'audio');

t.test('walloc eval on audio: ratio, kbps, PSNR, SNR, real-time factors, with Opus at the same bitrate', { skip: findFfmpeg() ? false : 'no ffmpeg' }, async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['eval', dir, '--model', 'stereo-20x', '--compare', 'opus', '--json'], io), 0, io.err());
  const r = JSON.parse(io.out()) as { recordings: number; results: Record<string, number>; opus: Record<string, number> };
  t.equal(r.recordings, 2);
  for (const s of [r.results, r.opus]) {
    t.ok(Math.abs(s.ratio! - 1411.2 / s.kbps!) < 1e-6, 'ratio is 16-bit stereo PCM over the bitrate');
    t.ok(s.psnr! > 15 && s.psnr! < 80, `PSNR ${s.psnr}`);
    t.ok(s.encodeRealtime! > 0 && s.decodeRealtime! > 0);
  }
  t.ok(r.results.ratio! > 50, `stereo-20x compresses ${r.results.ratio!.toFixed(1)}:1`);
  t.ok(Math.abs(r.opus.kbps! - r.results.kbps!) / r.results.kbps! < 0.5, 'Opus was asked for walloc\'s bitrate');
});

t.test('an audio folder picks the audio path on its own; a bad --compare is a usage error', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['eval', dir, '--compare', 'webp'], io), 2);
  t.match(io.err(), /--compare supports opus for audio/);
});

t.test('a recording with NaN samples is skipped with its reason, not scored as silence', async (t) => {
  const { copyFileSync, mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { wavHeader } = await import('../../../src/io/wav.js');
  const d = mkdtempSync(join(tmpdir(), 'walloc-eval-nan-'));
  copyFileSync(join(dir, 'music_stereo_44k_1s.wav'), join(d, 'good.wav'));
  const samples = new Float32Array(2 * 8192).map((_, i) => Math.sin(i / 10) * 0.3);
  samples[1000] = Number.NaN;
  writeFileSync(join(d, 'nan.wav'), Buffer.concat([wavHeader({ sampleRate: 44100, channels: 2, format: 'f32le', dataBytes: samples.byteLength }), Buffer.from(samples.buffer)]));
  const io = memoryIo();
  t.equal(await wallocMain(['eval', d, '--model', 'stereo-20x', '--json'], io), 0, io.err());
  t.equal((JSON.parse(io.out()) as { recordings: number }).recordings, 1, 'only the good recording is scored');
  t.match(io.err(), /nan\.wav.*(NaN|not a number)/i);
});
