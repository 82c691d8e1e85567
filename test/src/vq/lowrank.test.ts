import t from 'tap';
import { getTf } from '../../../src/models/backend.js';
import { gatherUnitBatch, loadVqDataset } from '../../../src/vq/datasets.js';
import { decodeWithTables, LowRankDecoder, lowRankGeometry, lowRankMacs, lowRankTables } from '../../../src/vq/lowrank.js';
import { loadVqModel, type LowRankConfig } from '../../../src/vq/model.js';
import { VqCodec } from '../../../src/vq/vq-codec.js';
import { vqvaeMacs, VQVAE_DEFAULTS } from '../../../src/vq/vqvae.js';
import { LowRankStageDecoder } from '../../../transforms/lowrank.js';
import { VectorQuantizer } from '../../../transforms/vq.js';
import { makeFrame } from '../../../src/frame.js';
import { smallVqModel } from './helpers.js';
import { saveVqModel } from '../../../src/vq/model.js';

const net = { ...VQVAE_DEFAULTS, codebookSize: 128 };

t.test('geometry and multiply-add counts follow the formulas', (t) => {
  const c: LowRankConfig = { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true };
  t.same(lowRankGeometry(net, c), { cells: 1, patchesPerSide: 7, neighbours: 9, factors: 36 });
  const m = lowRankMacs(net, c);
  // 49 patches × (9 table rows × 36 factors + 2 iterations × (4·2 + 16·2)) + 9·784 smoothing
  t.equal(m.tables, 49 * (9 * 36 + 2 * (8 + 32)) + 9 * 784);
  t.equal(m.dense, 49 * (9 * 64 * 36 + 2 * (8 + 32)) + 9 * 784);
  const whole = lowRankGeometry(net, { ...c, patch: 28 });
  t.same(whole, { cells: 7, patchesPerSide: 1, neighbours: 81, factors: 2 * (2 * 28 * 2 + 2) });
  t.equal(vqvaeMacs(net).decoder, 49 * 16 * 64 * 128 + 196 * 16 * 128, 'conv decoder: two 4×4 stride-2 layers');
  t.ok(m.tables * 100 < vqvaeMacs(net).decoder, 'the table decoder is over 100× cheaper than the conv decoder');
  t.throws(() => lowRankGeometry(net, { ...c, patch: 14 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => lowRankGeometry(net, { ...c, rank: 0 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.end();
});

t.test('the TypeScript table decoder equals the tfjs graph, and training lowers the error', async (t) => {
  const { tf } = await getTf();
  const base = await smallVqModel(16, 2);
  const codec = await VqCodec.load(base);
  const set = loadVqDataset('mnist', 'train', { limit: 64 });
  const x = gatherUnitBatch(set, Array.from({ length: 64 }, (_, i) => i));
  const tokens = codec.encode(x, 64);
  for (const cfg of [
    { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true },
    { type: 'lowrank', rank: 3, iterations: 1, patch: 28, smooth: false },
  ] as LowRankConfig[]) {
    const dec = new LowRankDecoder(tf, base.config.net, cfg, undefined, 5);
    const opt = tf.train.adam(3e-3);
    const xt = tf.tensor4d(x, [64, 28, 28, 1]);
    const z = codec.net.embed(tf.tensor1d(Int32Array.from(tokens), 'int32'), 64);
    const vars = [...dec.vars.values()].filter((_, i) => cfg.smooth || i < 2);
    const losses: number[] = [];
    for (let s = 0; s < 40; s++) {
      const l = opt.minimize(() => tf.mean(tf.square(tf.sub(dec.decode(z), xt))) as import('@tensorflow/tfjs').Scalar, true, vars)!;
      losses.push(l.dataSync()[0]!);
      l.dispose();
    }
    t.ok(losses[39]! < 0.7 * losses[0]!, `P=${cfg.patch}: MSE ${losses[0]!.toFixed(4)} → ${losses[39]!.toFixed(4)}`);
    const ref = dec.decode(z).dataSync();
    const weights = dec.getWeights();
    const tables = lowRankTables(codec.codebook, weights.get('lowrank.weight')!.data, base.config.net, cfg);
    t.same([...tables.subarray(0, 8)], [...dec.tables(codec.codebook).subarray(0, 8)]);
    let maxErr = 0;
    for (let i = 0; i < 64; i++) {
      const img = decodeWithTables(tokens.subarray(i * 49, (i + 1) * 49), tables, weights, base.config.net, cfg);
      for (let k = 0; k < 784; k++) maxErr = Math.max(maxErr, Math.abs(img[k]! - ref[i * 784 + k]!));
    }
    t.ok(maxErr < 1e-4, `P=${cfg.patch}: tables = tfjs (max err ${maxErr.toExponential(2)})`);

    // As a model and a stage: the saved low-rank model decodes the base model's tokens.
    const weightsAll = new Map([...base.weights].filter(([k]) => !k.startsWith('dec')));
    for (const [k, v] of weights) weightsAll.set(k, v);
    const dir = `${base.dir}-lowrank-${cfg.patch}`;
    const lrModel = saveVqModel(dir, { name: 'lr-test', description: 'x', dataset: 'mnist', labels: base.config.labels, net: base.config.net, decoder: cfg }, weightsAll);
    const stage = LowRankStageDecoder.fromModel(loadVqModel(dir));
    const frame = makeFrame('tokens', [7, 7], tokens.slice(0, 49), VectorQuantizer.fromModel(base).tokensMeta({ pts: 4 }));
    const img = stage.decode(frame);
    t.same([...img.shape], [1, 28, 28]);
    t.equal(img.meta.pts, 4);
    t.ok(Math.abs(img.data[300]! + 0.5 - ref[300]!) < 1e-4, 'stage output = graph output');
    const lrCodec = await VqCodec.load(lrModel);
    const viaCodec = lrCodec.decode(tokens.subarray(0, 49), 1);
    t.ok(Math.abs(viaCodec[300]! - ref[300]!) < 1e-4, 'VqCodec uses the low-rank decoder');
    t.throws(() => stage.decode(makeFrame('tokens', [7, 7], new Uint16Array(49).fill(16), VectorQuantizer.fromModel(base).tokensMeta({}))), { code: 'WALLOC_ERR_VQ_TOKEN' });
    lrCodec.dispose();
    dec.dispose();
    opt.dispose();
  }
  t.throws(() => LowRankStageDecoder.fromModel(base), { code: 'WALLOC_ERR_VQ_MODEL', message: /convolutional/ });
  codec.dispose();
});
