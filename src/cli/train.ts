/**
 * `walloc train codec`: trains an image codec from a folder of photos (see
 * src/train/codec-trainer.ts for the recipe). Progress goes to stderr: a line rewritten in place on
 * a terminal, one line per epoch otherwise.
 */
import { werr } from '../errors.js';
import { CODEC_TRAIN_DEFAULTS, trainCodec } from '../train/codec-trainer.js';
import type { CommandSpec } from './command.js';
import { numberOption as num } from './options.js';


const d = CODEC_TRAIN_DEFAULTS;

/** Off a terminal, progress is a plain line at most every `ms` (logs stay readable). */
function plainEvery(ms: number, write: (line: string) => void): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last >= ms) {
      last = now;
      write(line);
    }
  };
}

export const trainCommand: CommandSpec = {
  name: 'walloc train',
  summary: 'train a codec from real data (`walloc train codec --data DIR --out DIR`)',
  usage: ['walloc train codec --data DIR --out DIR [--val DIR] [--name NAME] [options]'],
  options: {
    data: { type: 'string', arg: 'DIR', help: 'folder of training photos (searched recursively)' },
    val: { type: 'string', arg: 'DIR', help: 'folder of held-out photos for the validation PSNR' },
    out: { type: 'string', arg: 'DIR', help: 'model folder to write (checkpoints go there too)' },
    name: { type: 'string', arg: 'NAME', help: 'model name recorded in the model and in every .wlc (default: the out folder name)' },
    description: { type: 'string', arg: 'TEXT', help: 'one-line description stored in the model' },
    levels: { type: 'string', arg: 'J', default: String(d.levels), help: 'wavelet packet levels' },
    'latent-dim': { type: 'string', arg: 'N', default: String(d.latentDim), help: 'latent channels' },
    bits: { type: 'string', arg: 'B', default: String(d.bits), help: 'bits per latent value' },
    steps: { type: 'string', arg: 'N', default: String(d.steps), help: 'training steps; 0 builds only the linear floor (PCA encoder and its transpose)' },
    batch: { type: 'string', arg: 'N', default: String(d.batch), help: 'crops per step' },
    crop: { type: 'string', arg: 'PX', default: String(d.crop), help: 'crop side in pixels (multiple of 2^J)' },
    lr: { type: 'string', arg: 'X', default: String(d.lr), help: 'Adam learning rate after warm-up' },
    warmup: { type: 'string', arg: 'N', default: String(d.warmup), help: 'linear warm-up steps' },
    width: { type: 'string', arg: 'N', default: String(d.width), help: 'decoder width (0: linear decoder)' },
    blocks: { type: 'string', arg: 'N', default: String(d.blocks), help: 'decoder residual blocks' },
    'epoch-steps': { type: 'string', arg: 'N', default: String(d.epochSteps), help: 'steps between validations' },
    'checkpoint-every': { type: 'string', arg: 'N', default: String(d.checkpointEvery), help: 'steps between checkpoints' },
    'pca-crops': { type: 'string', arg: 'N', default: String(d.pcaCrops), help: 'crops sampled for the PCA and the companding scale' },
    seed: { type: 'string', arg: 'N', default: String(d.seed), help: 'random seed (crops, noise, initial weights)' },
    resume: { type: 'boolean', help: 'continue from the checkpoint in --out' },
    'scale-divisor': { type: 'string', arg: 'X', default: String(d.scaleDivisor), help: 'companding scale = max|y| / X per latent channel (bigger X: finer steps, more bytes)' },
    'train-encoder': { type: 'boolean', help: 'train the 1×1 encoder projection as well (default: keep the PCA)' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend (default: best available)' },
  },
  examples: [
    'walloc train codec --data data/photos/train --val data/photos/eval --out fixtures/models/rgb-16x',
    'walloc train codec --data data/photos/train --val data/photos/eval --out fixtures/models/rgb-16x-linear --steps 0',
  ],
  async run({ values, positionals }, io) {
    const what = positionals[0];
    if (what !== 'codec') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `walloc train needs what to train: "codec" (got ${what === undefined ? 'nothing' : `"${what}"`})` });
    if (typeof values.data !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--data DIR', command: 'walloc train' });
    if (typeof values.out !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--out DIR', command: 'walloc train' });
    const levels = num(values.levels, 'levels', 1, 6, true);
    const crop = num(values.crop, 'crop', 1 << levels, 1024, true);
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
      levels,
      latentDim: num(values['latent-dim'], 'latent-dim', 1, 3 * 4 ** levels, true),
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
      trainEncoder: values['train-encoder'] === true,
      scaleDivisor: num(values['scale-divisor'], 'scale-divisor', 0.1, 100),
      backend: values.backend as string | undefined,
      log: (line) => io.stderr.write((tty ? '\r\x1b[K' : '') + line + '\n'),
      progress: tty ? (line) => io.stderr.write('\r\x1b[K' + line) : plainEvery(30_000, (line) => io.stderr.write(line + '\n')),
    });
    return 0;
  },
};
