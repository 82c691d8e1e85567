/**
 * The bundled VQ-VAE models (trained by `walloc train vqvae` / `walloc train token-classifier`,
 * see docs/vq.md) on real held-out digits and garments: reconstruction quality, token streams
 * classified without decoding, and `classify` picking the bundled token classifier by itself.
 */
import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';
import { wallocMain } from '../../../src/cli/walloc.js';
import { writeWlc } from '../../../src/container/index.js';
import { makeFrame } from '../../../src/frame.js';
import { hasFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { loadVqDataset } from '../../../src/vq/datasets.js';
import { loadVqModel } from '../../../src/vq/model.js';
import { TokenClassifier } from '../../../src/vq/token-classifier.js';
import { evaluateCodec } from '../../../src/vq/trainer.js';
import { VqCodec } from '../../../src/vq/vq-codec.js';
import { packTokensFrame, vqHeader, VectorQuantizer } from '../../../transforms/vq.js';
import { memoryIo } from '../../helpers/io.js';

const models = join(packageRoot(), 'fixtures', 'models');
const bundled = (name: string) => existsSync(join(models, name, 'model.json'));

for (const [data, short, maxMse, minSsim, minAcc] of [['mnist', 'mnist', 0.015, 0.85, 0.8], ['fashion-mnist', 'fmnist', 0.02, 0.6, 0.7]] as const) {
  const skip = !bundled(`vqvae-${short}-k128`) || !bundled(`tokens-${short}-k128`) ? `vqvae-${short}-k128 / tokens-${short}-k128 are not bundled`
    : data === 'fashion-mnist' && !hasFashionMnist() ? 'dataset-fashion-mnist is not installed' : false;
  t.test(`bundled ${data} VQ-VAE (K = 128) and token classifier on held-out images`, { skip }, async (t) => {
    const test = loadVqDataset(data, 'test', { limit: 300 });
    const codec = await VqCodec.load(`vqvae-${short}-k128`);
    const s = evaluateCodec(codec, test);
    t.ok(s.mse < maxMse, `MSE ${s.mse.toFixed(4)} on 300 test images`);
    t.ok(s.ssim > minSsim, `SSIM ${s.ssim.toFixed(4)} on the first 100`);
    const c = await TokenClassifier.load(`tokens-${short}-k128`);
    const p = c.probabilities(s.tokens, test.n);
    let right = 0;
    for (let i = 0; i < test.n; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (p[i * 10 + k]! > p[i * 10 + best]!) best = k;
      if (best === test.labels[i]) right++;
    }
    t.ok(right / test.n > minAcc, `token classifier: ${((100 * right) / test.n).toFixed(1)}% of 300 test images`);
    c.dispose();

    // A token stream of 30 test images: `classify` finds the bundled classifier from the header alone.
    const model = loadVqModel(`vqvae-${short}-k128`);
    const q = VectorQuantizer.fromModel(model);
    const frames = Array.from({ length: 30 }, (_, i) => packTokensFrame(makeFrame('tokens', [7, 7], s.tokens.slice(i * 49, (i + 1) * 49), q.tokensMeta({ pts: i }))));
    const file = join(mkdtempSync(join(tmpdir(), 'walloc-vqb-')), 'test.wlc');
    writeFileSync(file, writeWlc(vqHeader(model), frames));
    const io = memoryIo();
    t.equal(await wallocMain(['classify', file], io), 0, io.err());
    const lines = io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { label: string });
    t.equal(lines.length, 30);
    const labels = model.config.labels;
    const hits = lines.filter((l, i) => l.label === labels[test.labels[i]!]).length;
    t.ok(hits >= 30 * minAcc - 3, `${hits}/30 right through classify`);
    // The decoded pixels are the codec's (the same tokens through the stage path).
    t.equal(codec.decode(s.tokens.subarray(0, 49), 1).length, 784);
    codec.dispose();
  });
}
