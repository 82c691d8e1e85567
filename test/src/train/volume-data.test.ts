/**
 * Volume training data and a tiny real volume training run on the committed MRI crops: the window
 * rule is recorded in the model, the 3-D decoder starts at the linear floor and yields a codec
 * that decodes through the normal path (Synthesizer with the 3-D net).
 */
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODEC_TRAIN_DEFAULTS, synthesisGains3d, trainCodec } from '../../../src/train/codec-trainer.js';
import { listVolumes, loadTrainVolumes, randomVolumeCrop, readVolumes } from '../../../src/train/volume-data.js';
import { rng } from '../../../src/math/random.js';
import { Codec } from '../../../src/codec/codec.js';
import { decodeVolumeFrame, encodeVolumeFrame } from '../../../src/codec/volume-codec.js';
import { parseNifti } from '../../../src/io/nifti.js';
import { volumePsnr } from '../../../src/eval/volume-eval.js';
import { packageRoot } from '../../../src/paths.js';

const dir = join(packageRoot(), 'fixtures', 'volumes');

t.test('volumes load normalised, thin ones padded to the crop; crops are seeded', async (t) => {
  t.same(listVolumes(dir).map((f) => f.split('/').pop()), ['anatomical-be.nii', 'ch2-crop.nii.gz']);
  const vols = loadTrainVolumes(dir, { crop: 32 });
  t.equal(vols.length, 2);
  const anat = vols.find((v) => v.name.includes('anatomical'))!;
  t.same(anat.shape, [32, 41, 33], '25 slices reflect-padded to 32');
  for (const v of vols) {
    let lo = Infinity;
    for (const x of v.data) lo = Math.min(lo, x);
    t.equal(lo, -0.5, `${v.name}: minimum maps to -0.5`);
  }
  const a = randomVolumeCrop(vols, 16, rng(3)), b = randomVolumeCrop(vols, 16, rng(3));
  t.same(a.shape, [1, 16, 16, 16]);
  t.same(a.data, b.data);
  t.same(readVolumes(join(dir, 'ch2-crop.nii.gz')).length, 1);
});

t.test('3-D synthesis gains: bior4.4 is close to orthogonal, so every band carries about unit energy', async (t) => {
  const g = synthesisGains3d(1, 1, 'bior4.4');
  t.equal(g.length, 8);
  for (const x of g) t.ok(x > 0.5 && x < 2, `gain ${x}`);
});

t.test('a tiny real volume training run: linear floor, a few 3-D decoder steps, a working codec', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-train-vol-')), 'm');
  const lines: string[] = [];
  const m = await trainCodec({
    ...CODEC_TRAIN_DEFAULTS, modality: 'volume', data: dir, val: dir, out, name: 'tiny-volume', levels: 2, latentDim: 8, crop: 16, batch: 2,
    pcaCrops: 32, width: 4, blocks: 1, steps: 2, epochSteps: 2, checkpointEvery: 2, valSize: 32, warmup: 1, lr: 1e-3,
    log: (l: string) => lines.push(l),
  });
  t.equal(m.config.modality, 'volume');
  t.equal(m.config.channels, 1);
  t.equal(m.config.decoder.type, 'resnet');
  t.same((m.config.training as { window?: unknown }).window, { lowPercentile: 0, highPercentile: 99.9 }, 'the window rule is recorded');
  t.match(lines.join('\n'), /linear floor: validation PSNR [\d.]+ dB on 2 held-out volumes/);
  const codec = Codec.fromModel(m);
  const vol = parseNifti(readFileSync(join(dir, 'ch2-crop.nii.gz')));
  const back = await decodeVolumeFrame(codec, await encodeVolumeFrame(codec, vol));
  t.same(back.shape, vol.shape);
  t.ok(volumePsnr(vol.data, back.data) > 15);
  codec.dispose();
});
