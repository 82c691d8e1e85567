import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODEC_TRAIN_DEFAULTS, synthesisGains, trainCodec } from '../../../src/train/codec-trainer.js';
import { loadModel } from '../../../src/models/model-file.js';
import { Codec } from '../../../src/codec/codec.js';
import { packageRoot } from '../../../src/paths.js';

const photos = join(packageRoot(), 'fixtures', 'images');

t.test('synthesis gains: the LL band of bior4.4 carries about unit energy per level pair', async (t) => {
  const g = synthesisGains(1, 2, 'bior4.4');
  t.equal(g.length, 16);
  for (const v of g) t.ok(v > 0.3 && v < 3, `gain ${v}`);
  const haar = synthesisGains(1, 2, 'haar');
  for (const v of haar) t.ok(Math.abs(v - 1) < 1e-5, 'haar is orthonormal: every gain is 1');
});

t.test('a tiny real training run: linear floor, a few steps, checkpoint, resume, loadable model', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-train-')), 'm');
  const lines: string[] = [];
  const base = {
    ...CODEC_TRAIN_DEFAULTS, data: photos, val: photos, out, name: 'tiny', crop: 32, batch: 2, pcaCrops: 64, width: 8, blocks: 1,
    epochSteps: 2, checkpointEvery: 2, valImages: 2, valSize: 64, warmup: 1, lr: 1e-3, log: (l: string) => lines.push(l),
  };
  await trainCodec({ ...base, steps: 2 });
  const first = loadModel(out);
  t.equal(first.config.decoder.type, 'resnet');
  t.match(lines.join('\n'), /linear floor: validation PSNR [\d.]+ dB on 2 held-out photos/);
  const state = JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')) as { step: number; history: unknown[] };
  t.equal(state.step, 2);
  await trainCodec({ ...base, steps: 4, resume: true });
  t.match(lines.join('\n'), /resuming .* at step 2/);
  const again = JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')) as { step: number; history: unknown[] };
  t.equal(again.step, 4);
  t.equal(again.history.length, 2, 'one validation per epoch');
  // Resuming with another shape is refused before any data is loaded, naming what differs.
  const before = lines.length;
  await t.rejects(trainCodec({ ...base, steps: 6, latentDim: 6, width: 16, resume: true }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /checkpoint .* was trained with --latent-dim 12, --width 8, not --latent-dim 6, --width 16/ });
  t.equal(lines.length, before, 'refused before loading photos');
  t.equal(JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')).step, 4, 'the checkpoint is untouched');
  const m = loadModel(out);
  t.not(m.sha256, first.sha256, 'the weights moved');
  t.same(m.weights.get('encoder.weight'), first.weights.get('encoder.weight'), 'the PCA encoder stays frozen');
  // The trained model is a working codec.
  const codec = Codec.fromModel(m);
  const { readImage } = await import('../../../src/io/image.js');
  const img = await readImage(join(photos, 'chelsea_128x96.png'));
  const back = await codec.decodeFrame(await codec.encodeFrame(img));
  t.same(back.shape, img.shape);
  codec.dispose();
});

t.test('--steps 0 writes the linear floor (PCA transpose decoder, no TensorFlow.js at decode)', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-lin-')), 'lin');
  await trainCodec({ ...CODEC_TRAIN_DEFAULTS, data: photos, out, name: 'lin', crop: 32, pcaCrops: 32, steps: 0, log: () => {} });
  const m = loadModel(out);
  t.same(m.config.decoder, { type: 'linear' });
  t.same(m.config.tensors.map((e) => e.name).sort(), ['decoder.linear.bias', 'decoder.linear.weight', 'encoder.bias', 'encoder.scale', 'encoder.weight']);
});

t.test('--train-encoder moves the projection away from the PCA and still yields a working codec', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-enc-')), 'e');
  const common = { ...CODEC_TRAIN_DEFAULTS, data: photos, out, name: 'enc', crop: 32, batch: 2, pcaCrops: 32, width: 8, blocks: 1, warmup: 1, lr: 1e-2, epochSteps: 3, checkpointEvery: 3, log: () => {} };
  await trainCodec({ ...common, steps: 0 });
  const pca = loadModel(out).weights.get('encoder.weight')!;
  await trainCodec({ ...common, steps: 3, trainEncoder: true, force: true });
  const m = loadModel(out);
  const w = m.weights.get('encoder.weight')!;
  let diff = 0;
  for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(w[i]! - pca[i]!));
  t.ok(diff > 1e-4, `encoder changed by up to ${diff}`);
  t.match(String((m.config.training as { encoder: string }).encoder), /trained/);
  const codec = Codec.fromModel(m);
  const { readImage } = await import('../../../src/io/image.js');
  const img = await readImage(join(photos, 'coffee_255x171.jpg'));
  t.same((await codec.decodeFrame(await codec.encodeFrame(img))).shape, img.shape);
  codec.dispose();
});

t.test('an --out that cannot be a model folder is refused before any work; --resume with no checkpoint says it starts afresh', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-train-out-'));
  const lines: string[] = [];
  const base = { ...CODEC_TRAIN_DEFAULTS, data: photos, name: 'x', crop: 32, batch: 2, pcaCrops: 64, steps: 0, log: (l: string) => lines.push(l) };
  writeFileSync(join(dir, 'file'), 'x');
  await t.rejects(trainCodec({ ...base, out: join(dir, 'file') }), { code: 'WALLOC_ERR_FILE_WRITE', message: /exists and is not a folder/ });
  await t.rejects(trainCodec({ ...base, out: join(dir, 'file', 'sub') }), { code: 'WALLOC_ERR_FILE_WRITE', message: /is a file, not a folder/ });
  await t.rejects(trainCodec({ ...base, out: '' }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--out needs a folder name/ });
  await t.rejects(trainCodec({ ...base, out: join(dir, 'vol'), modality: 'volume', trainEncoder: true }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--train-encoder is not available for volumes/ });
  t.same(lines, [], 'nothing was loaded');
  t.notOk(existsSync(join(dir, 'vol')), 'no empty model folder left behind');
  await trainCodec({ ...base, out: join(dir, 'new', 'm'), resume: true });
  t.match(lines[0], /--resume: no checkpoint in .* yet; starting from scratch/);
  t.ok(existsSync(join(dir, 'new', 'm', 'model.json')), 'parent folders are made');
  await t.rejects(trainCodec({ ...base, out: join(dir, 'new', 'm') }), { code: 'WALLOC_ERR_MODEL_EXISTS', message: /new[/\\]m holds a model already \(x\); (--resume continues its training, )?--force replaces it/ }, 'a fresh run over a model is refused');
  await trainCodec({ ...base, out: join(dir, 'new', 'm'), force: true });
  t.match(lines.join('\n'), /--force: this run replaces the model in .* at its first save/, 'a forced one says it replaces it');
});
