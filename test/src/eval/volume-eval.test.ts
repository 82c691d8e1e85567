/**
 * `walloc eval` for volumes on the committed MRI crops: the metrics behave (PSNR peak, per-slice
 * SSIM), the WebP peer never gets more bytes than walloc, gzip is lossless, and the command prints
 * its table.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalVolumes, volumePeak, volumePsnr, volumeSsim } from '../../../src/eval/volume-eval.js';
import { parseNifti } from '../../../src/io/nifti.js';
import { packageRoot } from '../../../src/paths.js';
import { memoryIo } from '../../helpers/io.js';
import { evalCommand } from '../../../src/cli/eval.js';

const dir = join(packageRoot(), 'fixtures', 'volumes');

t.test('metrics: PSNR uses the 99.9th percentile − minimum, SSIM is 1 for identical slices and drops with noise', async (t) => {
  const vol = parseNifti(readFileSync(join(dir, 'ch2-crop.nii.gz')));
  const peak = volumePeak(vol.data);
  t.ok(peak > 0 && peak <= Math.max(...vol.data) - Math.min(...vol.data));
  t.equal(volumePsnr(vol.data, vol.data), Infinity);
  t.equal(volumeSsim(vol.data, vol.data, vol.shape, peak), 1);
  let seed = 1;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1 * peak;
  const noisy = vol.data.map((v) => v + noise());
  const p = volumePsnr(vol.data, noisy, peak);
  // Uniform noise of width 0.1·peak has variance (0.1·peak)²/12: PSNR = 10·log10(1200) ≈ 30.8 dB.
  t.ok(Math.abs(p - 10 * Math.log10(1200)) < 0.3, `PSNR ${p}`);
  const s = volumeSsim(vol.data, noisy, vol.shape, peak);
  t.ok(s < 1 && s > 0.3, `SSIM ${s}`);
});

t.test('evalVolumes with WebP and gzip peers', async (t) => {
  const r = await evalVolumes(dir, { model: 'volume-mri-linear', compare: ['webp', 'gzip'] });
  t.equal(r.volumes, 2);
  for (const s of r.perVolume) {
    t.ok(s.webp!.bytes <= s.bytes, `${s.file}: WebP ${s.webp!.bytes} ≤ walloc ${s.bytes} bytes`);
    t.ok(s.gzip!.ratio > 1 && s.gzip!.ratio < s.ratio, 'gzip is lossless and much larger');
    t.ok(Number.isFinite(s.psnr) && s.ssim > 0 && s.ssim <= 1);
    t.ok(s.encodeMvoxPerS > 0 && s.decodeMvoxPerS > 0);
  }
  t.ok(Math.abs(r.results.ratio - (2 * r.megavoxels * 1e6) / r.perVolume.reduce((a, s) => a + s.bytes, 0)) < 1e-6, 'voxel-weighted ratio');
});

t.test('walloc eval DIR --model volume-mri-linear --compare webp,gzip prints the table; bad peers are usage errors', async (t) => {
  const io = memoryIo();
  const code = await evalCommand.run({ values: { model: 'volume-mri-linear', compare: 'webp,gzip' }, positionals: [dir] }, io);
  t.equal(code, 0);
  t.match(io.out(), /ch2-crop\.nii\.gz/);
  t.match(io.out(), /per-slice WebP at ≤ the same bytes/);
  t.match(io.out(), /gzip of the raw voxels \(lossless\)/);
  await t.rejects(evalCommand.run({ values: { model: 'volume-mri-linear', compare: 'opus' }, positionals: [dir] }, memoryIo()), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
});

t.test('a folder without volumes: the coded error alone, no table head on stdout', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const io = memoryIo();
  await t.rejects(evalCommand.run({ values: { model: 'volume-mri-linear' }, positionals: [mkdtempSync(join(tmpdir(), 'walloc-novol-'))] }, io), { code: 'WALLOC_ERR_DATASET', message: /no NIfTI volumes/ });
  t.equal(io.out(), '');
});
