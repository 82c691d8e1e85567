/** Shared helpers for the VQ tests: a small VQ-VAE saved to a temporary folder, trained a few steps on real digits. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { gatherUnitBatch, loadVqDataset } from '../../../src/vq/datasets.js';
import { saveVqModel, type VqModel } from '../../../src/vq/model.js';
import { VqVae, VQVAE_DEFAULTS } from '../../../src/vq/vqvae.js';

/**
 * A VQ-VAE with K entries after `steps` Adam steps on real MNIST digits (batch 16): enough for its
 * tokens to depend on the image, fast enough for a unit test.
 */
export async function smallVqModel(k = 16, steps = 3, seed = 3, dir = mkdtempSync(join(tmpdir(), 'walloc-vq-'))): Promise<VqModel> {
  const { tf } = await getTf();
  const set = loadVqDataset('mnist', 'train', { limit: 16 * Math.max(1, steps) });
  const net = new VqVae(tf, { ...VQVAE_DEFAULTS, hidden: 16, codebookSize: k }, undefined, seed);
  const opt = tf.train.adam(2e-3);
  for (let s = 0; s < steps; s++) {
    const x = tf.tensor4d(gatherUnitBatch(set, Array.from({ length: 16 }, (_, i) => s * 16 + i)), [16, 28, 28, 1]);
    if (s === 0) net.initCodebook(x, 1);
    net.trainStep(opt, x);
    x.dispose();
  }
  const m = saveVqModel(dir, { name: 'vq-test', description: 'test VQ-VAE', dataset: 'mnist', labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], net: net.config, decoder: { type: 'conv' } }, net.getWeights());
  net.dispose();
  opt.dispose();
  return m;
}
