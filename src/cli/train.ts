/**
 * `walloc train codec`: trains an image codec from a folder of photos (see
 * src/train/codec-trainer.ts for the recipe). Progress goes to stderr: a line rewritten in place on
 * a terminal, one line per epoch otherwise.
 */
import { werr } from '../errors.js';
import { CODEC_TRAIN_DEFAULTS, trainCodec } from '../train/codec-trainer.js';
import type { CommandSpec } from './command.js';
import { plainEvery } from './progress.js';
import { numberOption as num } from './options.js';


const d = CODEC_TRAIN_DEFAULTS;
/** Defaults that differ for --modality audio (WaLLoC's stereo_5x: J=8, 108 channels). */
const AUDIO = { levels: 8, latentDim: 108, crop: 32768 };
/** Defaults for --modality volume (docs/volumes.md: J=2, 8 channels ≈ 30:1 against 16-bit voxels). */
const VOLUME = { levels: 2, latentDim: 8, crop: 32, valSize: 96 };


export const trainCommand: CommandSpec = {
  name: 'walloc train',
  maxPositionals: 1,
  summary: 'train a codec from real data (`walloc train codec --data DIR --out DIR`); also `walloc train classifier|vqvae|token-classifier|lowrank`',
  usage: [
    'walloc train codec --data DIR --out DIR [--val DIR] [--name NAME] [--modality image|audio|volume] [options]',
    // The other trainers have their own option tables: named here so that `walloc train --help` shows every kind.
    'walloc train classifier --data DIR|fashion-mnist|… --out DIR [options]   (walloc train classifier --help)',
    'walloc train vqvae --data mnist|fashion-mnist --codebook K --out DIR    (walloc train vqvae --help)',
    'walloc train token-classifier --vqvae MODEL --out DIR                  (walloc train token-classifier --help)',
    'walloc train lowrank --vqvae MODEL --rank R --out DIR                  (walloc train lowrank --help)',
  ],
  options: {
    modality: { type: 'string', arg: 'KIND', default: 'image', help: 'image (photos, RGB), audio (recordings, stereo 44.1 kHz; see docs/audio.md) or volume (NIfTI CT/MRI; see docs/volumes.md)' },
    data: { type: 'string', arg: 'DIR', help: 'folder of training photos or recordings (searched recursively)' },
    val: { type: 'string', arg: 'DIR', help: 'folder of held-out photos or recordings for the validation PSNR' },
    out: { type: 'string', arg: 'DIR', help: 'model folder to write (checkpoints go there too)' },
    name: { type: 'string', arg: 'NAME', help: 'model name recorded in the model and in every .wlc (default: the out folder name)' },
    description: { type: 'string', arg: 'TEXT', help: 'one-line description stored in the model' },
    levels: { type: 'string', arg: 'J', help: `wavelet packet levels (default: ${d.levels} for images, ${AUDIO.levels} for audio, ${VOLUME.levels} for volumes)` },
    'latent-dim': { type: 'string', arg: 'N', help: `latent channels (default: ${d.latentDim} for images, ${AUDIO.latentDim} for audio, ${VOLUME.latentDim} for volumes)` },
    bits: { type: 'string', arg: 'B', default: String(d.bits), help: 'bits per latent value' },
    steps: { type: 'string', arg: 'N', default: String(d.steps), help: 'training steps; 0 builds only the linear floor (PCA encoder and its transpose)' },
    batch: { type: 'string', arg: 'N', default: String(d.batch), help: 'crops per step' },
    crop: { type: 'string', arg: 'N', help: `crop side in pixels (voxels for volumes), or crop length in samples for audio (multiple of 2^J; default: ${d.crop} px, ${AUDIO.crop} samples, ${VOLUME.crop} voxels)` },
    'audio-seconds': { type: 'string', arg: 'S', default: '40', help: 'audio: seconds kept in memory per training recording' },
    'val-seconds': { type: 'string', arg: 'S', default: '20', help: 'audio: seconds of each held-out recording scored' },
    kernel: { type: 'string', arg: 'K', help: `decoder kernel size (default: ${d.kernel})` },
    lr: { type: 'string', arg: 'X', default: String(d.lr), help: 'Adam learning rate after warm-up' },
    warmup: { type: 'string', arg: 'N', default: String(d.warmup), help: 'linear warm-up steps' },
    width: { type: 'string', arg: 'N', default: String(d.width), help: 'decoder width (0: linear decoder)' },
    blocks: { type: 'string', arg: 'N', default: String(d.blocks), help: 'decoder residual blocks' },
    'epoch-steps': { type: 'string', arg: 'N', default: String(d.epochSteps), help: 'steps between validations' },
    'checkpoint-every': { type: 'string', arg: 'N', default: String(d.checkpointEvery), help: 'steps between checkpoints' },
    'pca-crops': { type: 'string', arg: 'N', default: String(d.pcaCrops), help: 'crops sampled for the PCA and the companding scale' },
    seed: { type: 'string', arg: 'N', default: String(d.seed), help: 'random seed (crops, noise, initial weights)' },
    resume: { type: 'boolean', help: 'continue from the checkpoint in --out' },
    force: { type: 'boolean', help: 'replace the model already in --out (refused without it)' },
    'scale-divisor': { type: 'string', arg: 'X', default: String(d.scaleDivisor), help: 'companding scale = max|y| / X per latent channel (bigger X: finer steps, more bytes)' },
    'train-encoder': { type: 'boolean', help: 'train the 1×1 encoder projection as well (default: keep the PCA)' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend (default: best available)' },
  },
  examples: [
    'walloc train codec --data data/photos/train --val data/photos/eval --out models/rgb-16x',
    'walloc train codec --data data/photos/train --val data/photos/eval --out models/rgb-16x-linear --steps 0',
    'walloc train codec --modality audio --data data/audio/train --val data/audio/eval --out models/stereo-5x --latent-dim 108 --steps 0',
  ],
  async run({ values, positionals }, io) {
    const what = positionals[0];
    if (what !== 'codec') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `walloc train needs what to train: codec, classifier, vqvae, token-classifier or lowrank (got ${what === undefined ? 'nothing' : `"${what}"`}); see \`walloc train WHAT --help\`` });
    if (typeof values.data !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--data DIR', command: 'walloc train' });
    if (typeof values.out !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--out DIR', command: 'walloc train' });
    const modality = values.modality as string;
    if (modality !== 'image' && modality !== 'audio' && modality !== 'volume') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--modality must be image, audio or volume, got "${modality}"` });
    const audio = modality === 'audio';
    const volume = modality === 'volume';
    const levels = num(values.levels ?? String(audio ? AUDIO.levels : volume ? VOLUME.levels : d.levels), 'levels', 1, audio ? 12 : volume ? 4 : 6, true);
    const crop = num(values.crop ?? String(audio ? AUDIO.crop : volume ? VOLUME.crop : d.crop), 'crop', 1 << levels, audio ? 1 << 22 : volume ? 256 : 1024, true);
    if (crop % (1 << levels)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--crop ${crop} is not a multiple of 2^J = ${1 << levels}` });
    const tty = Boolean(io.stderr.isTTY);
    const out = values.out;
    await trainCodec({
      ...d,
      data: values.data,
      val: values.val as string | undefined,
      out,
      name: (values.name as string | undefined) ?? out.replace(/\/+$/, '').split('/').pop()!,
      description: values.description as string | undefined,
      modality,
      audioSeconds: num(values['audio-seconds'], 'audio-seconds', 1, 3600),
      valSeconds: num(values['val-seconds'], 'val-seconds', 1, 3600),
      kernel: num(values.kernel ?? String(d.kernel), 'kernel', 1, 31, true),
      levels,
      latentDim: num(values['latent-dim'] ?? String(audio ? AUDIO.latentDim : volume ? VOLUME.latentDim : d.latentDim), 'latent-dim', 1, audio ? 2 * 2 ** levels : volume ? 8 ** levels : 3 * 4 ** levels, true),
      ...(volume ? { valSize: VOLUME.valSize } : {}),
      bits: num(values.bits, 'bits', 2, 8, true),
      steps: num(values.steps, 'steps', 0, 10_000_000, true),
      batch: num(values.batch, 'batch', 1, 1024, true),
      crop,
      lr: num(values.lr, 'lr', 1e-7, 1),
      warmup: num(values.warmup, 'warmup', 1, 1_000_000, true),
      width: num(values.width, 'width', 0, 1024, true),
      blocks: num(values.blocks, 'blocks', 0, 64, true),
      epochSteps: num(values['epoch-steps'], 'epoch-steps', 1, 1_000_000, true),
      checkpointEvery: num(values['checkpoint-every'], 'checkpoint-every', 1, 1_000_000, true),
      pcaCrops: num(values['pca-crops'], 'pca-crops', 16, 1_000_000, true),
      seed: num(values.seed, 'seed', 0, 2 ** 31, true),
      resume: values.resume === true,
      force: values.force === true,
      trainEncoder: values['train-encoder'] === true,
      scaleDivisor: num(values['scale-divisor'], 'scale-divisor', 0.1, 100),
      backend: values.backend as string | undefined,
      log: (line) => io.stderr.write((tty ? '\r\x1b[K' : '') + line + '\n'),
      progress: tty ? (line) => io.stderr.write('\r\x1b[K' + line) : plainEvery(30_000, (line) => io.stderr.write(line + '\n')),
    });
    return 0;
  },
};
