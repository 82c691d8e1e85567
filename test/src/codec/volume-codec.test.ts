/**
 * The 3-D codec path on a real MRI crop with the bundled linear floor `volume-mri-linear`:
 * sizes that are not multiples of 2^J, anisotropic spacing, the window and range in each record,
 * slab streaming, and the 3-D decoder's convolution against tfjs's own Conv3D.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Codec } from '../../../src/codec/codec.js';
import { assembleVolume, decodeVolumeFrame, encodeSlabs, encodeVolumeFrame, volumeHeader, volumeInfoOf, SLAB_META_KEY } from '../../../src/codec/volume-codec.js';
import { readWlcSync, writeWlc } from '../../../src/container/index.js';
import { parseNifti } from '../../../src/io/nifti.js';
import type { Volume } from '../../../src/io/volume.js';
import { volumePsnr, volumePeak } from '../../../src/eval/volume-eval.js';
import { getTf } from '../../../src/models/backend.js';
import { conv3dSame } from '../../../src/nn/decoder3d.js';
import { packageRoot } from '../../../src/paths.js';

const ch2 = () => parseNifti(readFileSync(join(packageRoot(), 'fixtures', 'volumes', 'ch2-crop.nii.gz')));

/** An odd-sized, anisotropic sub-volume (33×45×37, 3 mm slices) of the crop. */
function oddCrop(v: Volume): Volume {
  const [, H, W] = v.shape;
  const s = [33, 45, 37] as const;
  const data = new Float32Array(s[0] * s[1] * s[2]);
  for (let z = 0; z < s[0]; z++) for (let y = 0; y < s[1]; y++) data.set(v.data.subarray((z * H + y) * W, (z * H + y) * W + s[2]), (z * s[1] + y) * s[2]);
  return { data, shape: [...s], spacing: [3, 1, 1], dtype: v.dtype };
}

t.test('a whole volume: one record, shape and spacing kept, quality of the linear floor', async (t) => {
  const codec = Codec.load('volume-mri-linear');
  t.equal(codec.model.config.modality, 'volume');
  const vol = oddCrop(ch2());
  const frame = await encodeVolumeFrame(codec, vol);
  t.equal(frame.kind, 'packed');
  t.ok(frame.data.length < vol.data.length / 4, `latents packed to ${frame.data.length} bytes for ${vol.data.length} voxels`);
  const wlc = writeWlc(volumeHeader(codec, { spacing: vol.spacing, dtype: vol.dtype, slab: 0 }, vol.shape), [frame]);
  const { header, frames } = readWlcSync(wlc);
  t.same(volumeInfoOf(header).spacing, [3, 1, 1]);
  t.same(header.shape, [1, 33, 45, 37]);
  const dec = await decodeVolumeFrame(codec, frames[0]!);
  t.same(dec.shape, vol.shape, 'padding to multiples of 2^J is cropped away');
  const [lo, hi] = [Math.min(...vol.data), Math.max(...vol.data)];
  t.ok(dec.data.every((v) => v >= lo && v <= hi), 'clamped to the volume\'s range');
  const psnr = volumePsnr(vol.data, dec.data);
  t.ok(psnr > 20 && psnr < 60, `PSNR ${psnr.toFixed(2)} dB`);

  codec.dispose();
});

t.test('slabs: slices encoded 8 at a time reassemble into the same volume', async (t) => {
  const codec = Codec.load('volume-mri-linear');
  const vol = ch2();
  const [D, H, W] = vol.shape;
  const slices = (async function* () {
    for (let z = 0; z < D; z++) yield { data: vol.data.slice(z * H * W, (z + 1) * H * W), height: H, width: W, dtype: vol.dtype };
  })();
  const frames = [];
  for await (const f of encodeSlabs(codec, slices, { slab: 8, spacing: vol.spacing })) frames.push(f);
  t.equal(frames.length, Math.ceil(D / 8));
  t.same(frames.map((f) => (f.meta.extra?.[SLAB_META_KEY] as { z0: number }).z0), frames.map((_, i) => i * 8));
  const header = volumeHeader(codec, { spacing: vol.spacing, dtype: vol.dtype, slab: 8 });
  const back = await assembleVolume(codec, header, (async function* () { yield* frames; })());
  t.same(back.shape, vol.shape);
  const whole = await decodeVolumeFrame(codec, await encodeVolumeFrame(codec, vol));
  const peak = volumePeak(vol.data);
  const pSlab = volumePsnr(vol.data, back.data, peak), pWhole = volumePsnr(vol.data, whole.data, peak);
  t.ok(pSlab > pWhole - 3, `slabs ${pSlab.toFixed(2)} dB vs whole ${pWhole.toFixed(2)} dB`);
  await t.rejects((async () => { for await (const f of encodeSlabs(codec, slices, { slab: 6 })) void f; })(), { code: 'WALLOC_ERR_INVALID_ARGUMENT' }, 'slab must be a multiple of 2^J');
  // Bounded memory: the first record comes out after one slab of slices has been pulled, not all.
  let pulled = 0;
  const counted = (async function* () {
    for (let z = 0; z < D; z++) { pulled++; yield { data: vol.data.slice(z * H * W, (z + 1) * H * W), height: H, width: W, dtype: vol.dtype }; }
  })();
  const it = encodeSlabs(codec, counted, { slab: 8 })[Symbol.asyncIterator]();
  await it.next();
  t.equal(pulled, 8, 'one slab read before the first record');
  await it.return?.(undefined);
  codec.dispose();
});

t.test('conv3dSame (2-D convolutions over depth-shifted slices) equals tfjs conv3d, values and gradients', async (t) => {
  const { tf } = await getTf({ backend: 'cpu' });
  const x = tf.randomNormal([2, 5, 6, 7, 3], 0, 1, 'float32', 1) as import('@tensorflow/tfjs').Tensor5D;
  const w = tf.randomNormal([3, 3, 3, 3, 4], 0, 1, 'float32', 2) as import('@tensorflow/tfjs').Tensor5D;
  const ref = tf.conv3d(x, w, 1, 'same');
  for (const train of [false, true]) {
    const got = conv3dSame(tf, x, w, train);
    const err = tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0]!;
    t.ok(err < 1e-4, `train=${train}: max error ${err}`);
  }
  const gRef = tf.grads((a, b) => tf.sum(tf.square(tf.conv3d(a as never, b as never, 1, 'same'))))([x, w]);
  const gGot = tf.grads((a, b) => tf.sum(tf.square(conv3dSame(tf, a as never, b, true))))([x, w]);
  for (let i = 0; i < 2; i++) {
    const rel = tf.max(tf.abs(tf.sub(gGot[i]!, gRef[i]!))).dataSync()[0]! / tf.max(tf.abs(gRef[i]!)).dataSync()[0]!;
    t.ok(rel < 1e-4, `gradient ${i}: relative error ${rel}`);
  }
});
