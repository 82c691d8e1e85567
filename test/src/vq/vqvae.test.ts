import t from 'tap';
import { getTf } from '../../../src/models/backend.js';
import { gatherUnitBatch, loadVqDataset } from '../../../src/vq/datasets.js';
import { codebookNorms, nearestCodes } from '../../../src/vq/codebook.js';
import { VqVae, VQVAE_DEFAULTS } from '../../../src/vq/vqvae.js';

t.test('VQ-VAE shapes, training lowers the reconstruction error, tfjs and TS quantizers agree', async (t) => {
  const { tf } = await getTf();
  const set = loadVqDataset('mnist', 'train', { limit: 192 });
  const net = new VqVae(tf, { ...VQVAE_DEFAULTS, hidden: 32, codebookSize: 32 }, undefined, 2);
  t.equal(net.parameterCount, 16 * 32 + 32 + 16 * 32 * 64 + 64 + 32 * 64 + 16 * 64 * 32 + 32 + 16 * 32 + 1);
  const opt = tf.train.adam(2e-3);
  const recon: number[] = [];
  for (let s = 0; s < 18; s++) {
    const x = tf.tensor4d(gatherUnitBatch(set, Array.from({ length: 32 }, (_, i) => (s * 32 + i) % set.n)), [32, 28, 28, 1]);
    if (s === 0) net.initCodebook(x, 1);
    const st = net.trainStep(opt, x);
    t.ok(Number.isFinite(st.loss) && st.used >= 1 && st.used <= 32);
    recon.push(st.recon);
    x.dispose();
  }
  const first = (recon[0]! + recon[1]! + recon[2]!) / 3, last = (recon[15]! + recon[16]! + recon[17]!) / 3;
  t.ok(last < 0.8 * first, `reconstruction MSE ${first.toFixed(4)} → ${last.toFixed(4)}`);

  const x = tf.tensor4d(gatherUnitBatch(set, Array.from({ length: 8 }, (_, i) => i)), [8, 28, 28, 1]);
  const ze = net.encode(x);
  t.same(ze.shape, [8, 7, 7, 64]);
  const flat = tf.reshape(ze, [-1, 64]) as import('@tensorflow/tfjs').Tensor2D;
  const viaTf = net.nearest(flat).dataSync();
  // The same latents, planar per image, through the TypeScript search.
  const nhwc = ze.dataSync() as Float32Array;
  const cb = net.codebook();
  const norms = codebookNorms(cb, 64);
  for (let i = 0; i < 8; i++) {
    const planar = new Float32Array(64 * 49);
    for (let p = 0; p < 49; p++) for (let c = 0; c < 64; c++) planar[c * 49 + p] = nhwc[(i * 49 + p) * 64 + c]!;
    const ts = nearestCodes(planar, 64, cb, norms);
    t.same([...ts], [...viaTf.subarray(i * 49, (i + 1) * 49)], `image ${i}: same tokens`);
  }
  t.same(net.decode(net.embed(net.nearest(flat), 8)).shape, [8, 28, 28, 1]);
  net.dispose();
  opt.dispose();
});
