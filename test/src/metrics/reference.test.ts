/**
 * Agreement with scikit-image 0.19.3 (SSIM) and a numpy port of pytorch_msssim (MS-SSIM) on the
 * fixture photos and four integer-exact distortions; the values come from
 * test/fixtures-gen/metrics.py (fixtures/metrics/reference.json).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';
import { mse, psnr, ssim, msSsim, frameToPlanar8, type PixelImage } from '../../../src/metrics/index.js';
import { imageFromRgbBytes } from '../../../src/io/image.js';
import { distort, loadPhoto, sha256, type Distortion } from './distort.js';

interface RefMetrics {
  mse: number; psnr: number | 'Infinity'; ssim_rgb: number; ssim_luma: number;
  ms_ssim_rgb: number; ms_ssim_scales: number; sha256: string;
}
interface RefImage { file: string; width: number; height: number; rgb_sha256: string; distortions: Record<Distortion, RefMetrics> }
const ref = JSON.parse(readFileSync(join(packageRoot(), 'fixtures', 'metrics', 'reference.json'), 'utf8')) as { images: RefImage[] };

// Both sides compute in float64 over the same valid region; only summation order differs.
const TOL = 1e-6;
const worst = { ssim_rgb: 0, ssim_luma: 0, ms_ssim_rgb: 0, psnr: 0 };

for (const im of ref.images) {
  t.test(im.file, async (tt) => {
    const photo = await loadPhoto(im.file);
    tt.equal(sha256(photo.data), im.rgb_sha256, 'sharp decodes the same pixels as PIL');
    const a: PixelImage = { data: photo.data, width: photo.width, height: photo.height, channels: 3 };
    for (const [name, want] of Object.entries(im.distortions) as Array<[Distortion, RefMetrics]>) {
      const bData = distort(name, photo.data, photo.width, photo.height);
      tt.equal(sha256(bData), want.sha256, `${name}: same distorted pixels as the generator`);
      const b: PixelImage = { ...a, data: bData };
      const got = {
        mse: mse(a, b), psnr: psnr(a, b), ssim_rgb: ssim(a, b), ssim_luma: ssim(a, b, { mode: 'luma' }), ms: msSsim(a, b),
      };
      tt.ok(Math.abs(got.mse - want.mse) <= 1e-12 * want.mse, `${name}: MSE ${got.mse} vs ${want.mse}`);
      tt.ok(Math.abs(got.psnr - Number(want.psnr)) <= 1e-9, `${name}: PSNR ${got.psnr} vs ${want.psnr}`);
      tt.ok(Math.abs(got.ssim_rgb - want.ssim_rgb) <= TOL, `${name}: SSIM rgb ${got.ssim_rgb} vs skimage ${want.ssim_rgb}`);
      tt.ok(Math.abs(got.ssim_luma - want.ssim_luma) <= TOL, `${name}: SSIM luma ${got.ssim_luma} vs skimage ${want.ssim_luma}`);
      tt.equal(got.ms.scales, want.ms_ssim_scales, `${name}: MS-SSIM scales`);
      tt.equal(got.ms.reduced, want.ms_ssim_scales < 5);
      tt.ok(Math.abs(got.ms.value - want.ms_ssim_rgb) <= TOL, `${name}: MS-SSIM ${got.ms.value} vs ${want.ms_ssim_rgb}`);
      worst.psnr = Math.max(worst.psnr, Math.abs(got.psnr - Number(want.psnr)));
      worst.ssim_rgb = Math.max(worst.ssim_rgb, Math.abs(got.ssim_rgb - want.ssim_rgb));
      worst.ssim_luma = Math.max(worst.ssim_luma, Math.abs(got.ssim_luma - want.ssim_luma));
      worst.ms_ssim_rgb = Math.max(worst.ms_ssim_rgb, Math.abs(got.ms.value - want.ms_ssim_rgb));

      // The same numbers from every input form: planar bytes and float frames (rounded back).
      const planar = (x: Uint8Array): PixelImage => ({
        data: frameToPlanar8(imageFromRgbBytes(x, photo.width, photo.height)), width: photo.width, height: photo.height, channels: 3, layout: 'planar',
      });
      tt.equal(ssim(planar(photo.data), planar(bData)), got.ssim_rgb, `${name}: planar input`);
      const fa = imageFromRgbBytes(photo.data, photo.width, photo.height);
      const fb = imageFromRgbBytes(bData, photo.width, photo.height);
      tt.equal(psnr(fa, fb), got.psnr, `${name}: float frames round back to the same bytes`);
      tt.equal(msSsim(fa, b).value, got.ms.value, `${name}: frame against bytes`);
    }
  });
}

t.teardown(() => {
  // Printed for the report: the largest disagreement seen.
  console.error(`# max |Δ| vs reference: ${JSON.stringify(worst)}`);
});
