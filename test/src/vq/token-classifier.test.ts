import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { makeFrame } from '../../../src/frame.js';
import { TokenClassifier, TokenNet, tokenNetParameters, trainTokenClassifier, TOKEN_TRAIN_DEFAULTS } from '../../../src/vq/token-classifier.js';
import { packTokensFrame, vqHeader, VectorQuantizer } from '../../../transforms/vq.js';
import { VqCodec } from '../../../src/vq/vq-codec.js';
import { loadVqDataset, toUnitBatch } from '../../../src/vq/datasets.js';
import { smallVqModel } from './helpers.js';

t.test('the nets have the study\'s parameter counts', async (t) => {
  const { tf } = await getTf();
  const tokens = { type: 'tokens', codebookSize: 128, grid: 7, embed: 32, hidden: 128, classes: 10 } as const;
  const cnn = { type: 'pixel-cnn', size: 28, classes: 10 } as const;
  t.equal(tokenNetParameters(tokens), 128 * 32 + 1568 * 128 + 128 + 128 * 10 + 10);
  t.equal(tokenNetParameters(cnn), 1_199_882, 'the PyTorch MNIST CNN: 1.20 M');
  for (const c of [tokens, cnn]) {
    const net = new TokenNet(tf, c);
    t.equal(net.parameterCount, tokenNetParameters(c), c.type);
    const input = c.type === 'tokens' ? tf.tensor1d(new Int32Array(2 * 49), 'int32') : tf.zeros([2, 28, 28, 1]);
    t.same(net.apply(input, 2).shape, [2, 10]);
    net.dispose();
  }
});

t.test('a token classifier trained on real tokens beats chance and classifies packed token frames', async (t) => {
  const vq = await smallVqModel(32, 3);
  const out = mkdtempSync(join(tmpdir(), 'walloc-tok-'));
  const lines: string[] = [];
  const r = await trainTokenClassifier({ ...TOKEN_TRAIN_DEFAULTS, vqvae: vq.dir, out, name: 'tok-test', epochs: 2, limit: 800, valLimit: 300, log: (l) => lines.push(l) });
  t.ok(r.accuracy > 0.3, `test accuracy ${(100 * r.accuracy).toFixed(1)}% over 10 classes`);
  t.equal(r.parameters, 32 * 32 + 1568 * 128 + 128 + 1290);
  t.ok(r.sizeKB > (r.parameters * 4) / 1024 - 1 && r.sizeKB < (r.parameters * 4) / 1024 + 1, 'size is the float32 weights');
  t.match(lines.join('\n'), /epoch 2\/2/);

  const c = await TokenClassifier.load(out);
  c.checkHeader(vqHeader(vq));
  const codec = await VqCodec.load(vq);
  const test = loadVqDataset('mnist', 'test', { limit: 40 });
  const tokens = codec.encode(toUnitBatch(test, 0, 40), 40);
  const q = VectorQuantizer.fromModel(vq);
  let right = 0;
  for (let i = 0; i < 40; i++) {
    const frame = packTokensFrame(makeFrame('tokens', [7, 7], tokens.slice(i * 49, (i + 1) * 49), q.tokensMeta({ pts: i })));
    const p = await c.classifyFrame(frame, { top: 3 });
    t.equal(p.top.length, 3);
    if (p.label === String(test.labels[i])) right++;
  }
  t.ok(right > 8, `${right}/40 right on packed frames`);
  const other = await smallVqModel(32, 0, 9);
  t.throws(() => c.checkHeader(vqHeader(other)), { code: 'WALLOC_ERR_CLASSIFIER_CODEC' });
  await t.rejects(c.classifyFrame(makeFrame('tokens', [7, 7], new Uint16Array(49), VectorQuantizer.fromModel(other).tokensMeta({}))), { code: 'WALLOC_ERR_CLASSIFIER_CODEC' });
  await t.rejects(c.classifyFrame(makeFrame('tokens', [7, 7], new Uint16Array(49).fill(32), {})), { code: 'WALLOC_ERR_VQ_TOKEN' });
  await t.rejects(c.classifyFrame(makeFrame('tokens', [6, 6], new Uint16Array(36), {})), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  c.dispose();
  codec.dispose();
});
