/**
 * The model folder format's building blocks: tensors packed back to back as little-endian float32
 * and read back through a checked index, the atomic two-file write, and a codec model's round trip.
 */
import t from 'tap';
import fc from 'fast-check';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { werr } from '../../../src/errors.js';
import { loadModel, MODEL_FORMAT, type NamedWeights, MODEL_FORMAT_VERSION, packTensors, parseModel, readWeightsFolder, resolveModelDir, saveModel, sha256, unpackTensors, writeModelFiles, writeWeightsFolder } from '../../../src/models/model-file.js';
import { bundledModelsDir, listBundledModels } from '../../../src/models/registry.js';

const bad = (reason: string) => werr('WALLOC_ERR_MODEL_INVALID', { model: 'test', reason });

t.test('packTensors / unpackTensors: round trip of any shapes and values, in order', (t) => {
  const tensor = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 }).chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(fc.float({ noNaN: true }), { minLength: n, maxLength: n }).map((v) => ({ shape, data: Float32Array.from(v) }));
  });
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), tensor), { selector: ([k]) => k, maxLength: 5 }), (entries) => {
    const weights: NamedWeights = new Map(entries);
    const { tensors, bin } = packTensors(weights);
    const total = entries.reduce((a, [, w]) => a + w.data.length, 0);
    if (bin.length !== 4 * total) return false;
    const back = unpackTensors(bin, tensors, bad);
    return [...back.keys()].join('\0') === [...weights.keys()].join('\0')
      && [...weights].every(([k, w]) => back.get(k)!.shape.join() === w.shape.join() && back.get(k)!.data.every((x, i) => Object.is(x, w.data[i])));
  }));
  t.end();
});

t.test('packTensors: little-endian float32, back to back; a shape that does not match its data is refused', (t) => {
  const { tensors, bin } = packTensors(new Map([['a', { shape: [1], data: new Float32Array([1]) }], ['b', { shape: [2], data: new Float32Array([2, -0.5]) }]]));
  t.same(tensors, [{ name: 'a', shape: [1], offset: 0 }, { name: 'b', shape: [2], offset: 4 }]);
  t.same([...bin], [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0, 0xbf]);
  t.throws(() => packTensors(new Map([['w', { shape: [3], data: new Float32Array(2) }]])), { code: 'WALLOC_ERR_INTERNAL' });
  t.end();
});

t.test('unpackTensors: malformed entries and entries past the bytes are the caller\'s coded error', (t) => {
  const bin = Buffer.alloc(16);
  for (const entry of [null, 7, { name: 1, shape: [1], offset: 0 }, { name: 'w', shape: 'x', offset: 0 }, { name: 'w', shape: [-1], offset: 0 },
    { name: 'w', shape: [1.5], offset: 0 }, { name: 'w', shape: [1], offset: -4 }, { name: 'w', shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], offset: 0 }]) {
    t.throws(() => unpackTensors(bin, [entry], bad), { code: 'WALLOC_ERR_MODEL_INVALID', message: /is not \{name, shape, offset\}/ }, JSON.stringify(entry));
  }
  t.throws(() => unpackTensors(bin, [{ name: 'w', shape: [5], offset: 0 }], bad), { code: 'WALLOC_ERR_MODEL_INVALID', message: /lies outside/ });
  t.throws(() => unpackTensors(bin, [{ name: 'w', shape: [1], offset: 2 }], bad), { message: /lies outside/ }, 'unaligned offset');
  t.same(unpackTensors(bin.subarray(4), [{ name: 'w', shape: [3], offset: 0 }], bad).get('w')!.data, new Float32Array(3), 'a view at an offset');
  t.end();
});

t.test('writeModelFiles: both files written, no temporary files left; saveModel → loadModel round trip', (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'walloc-modelfile-')), 'm');
  const json = writeModelFiles(dir, { a: 1 }, Buffer.from([1, 2, 3, 4]));
  t.same(JSON.parse(json.toString()), { a: 1 });
  t.same(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
  t.same([...readFileSync(join(dir, 'weights.bin'))], [1, 2, 3, 4]);

  const linear = loadModel('rgb-16x-linear');
  const out = join(dir, 'copy');
  const { format: _f, version: _v, tensors: _t, weightsSha256: _w, ...config } = linear.config;
  const weights: NamedWeights = new Map([...linear.weights].map(([k, data]) => [k, { shape: linear.config.tensors.find((e) => e.name === k)!.shape, data }]));
  const saved = saveModel(out, { ...config, name: 'copy' }, weights);
  const back = loadModel(out);
  t.equal(back.id, saved.id);
  t.equal(back.config.weightsSha256, sha256(readFileSync(join(out, 'weights.bin'))));
  t.ok([...linear.weights].every(([k, w]) => back.weights.get(k)!.every((x, i) => x === w[i])), 'the same weights');
  t.same(readdirSync(out).sort(), ['model.json', 'weights.bin'], 'no temporary files left');
  t.throws(() => parseModel(readFileSync(join(out, 'model.json')), Buffer.alloc(3), 'copy'), { code: 'WALLOC_ERR_MODEL_CHECKSUM' });
  t.end();
});

t.test('writeWeightsFolder → readWeightsFolder: a kind\'s folder round trip; the wrong kind, a bad format or damaged weights are coded errors', (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'walloc-kindfolder-')), 'k');
  const weights: NamedWeights = new Map([['w', { shape: [2, 2], data: Float32Array.from([1, -2, 3.5, 0]) }], ['b', { shape: [1], data: Float32Array.from([7]) }]]);
  const { config, sha256: digest } = writeWeightsFolder(dir, { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, kind: 'thing', name: 'k', extra: [1, 2] }, weights);
  t.same(config.tensors.map((e) => e.name), ['w', 'b']);
  const back = readWeightsFolder(dir, 'k', 'thing');
  t.equal(back.sha256, digest);
  t.same(back.config.extra, [1, 2], 'the kind\'s own fields come back');
  t.same([...back.weights.get('w')!.data], [1, -2, 3.5, 0]);

  t.throws(() => readWeightsFolder(dir, 'k', 'classifier'), { code: 'WALLOC_ERR_MODEL_INVALID', message: /this is a thing, not a classifier/ });
  t.throws(() => readWeightsFolder(resolveModelDir('rgb-16x-linear'), 'rgb-16x-linear', 'vqvae'), { message: /this is a codec, not a vqvae/ });
  writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(24));
  t.throws(() => readWeightsFolder(dir, 'k', 'thing'), { code: 'WALLOC_ERR_MODEL_CHECKSUM' });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'other', version: 1 }));
  t.throws(() => readWeightsFolder(dir, 'k', 'thing'), { code: 'WALLOC_ERR_MODEL_INVALID', message: /not a walloc model folder/ });
  writeFileSync(join(dir, 'model.json'), '{');
  t.throws(() => readWeightsFolder(dir, 'k', 'thing'), { message: /not valid JSON/ });
  t.end();
});

t.test('resolveModelDir: bundled names, model ids and paths; a missing model lists the bundled ones of the kind asked for', (t) => {
  const linear = join(bundledModelsDir(), 'rgb-16x-linear');
  t.equal(resolveModelDir('rgb-16x-linear'), linear);
  t.equal(resolveModelDir('rgb-16x-linear@0123456789ab'), linear, 'an id names the bundled model');
  t.equal(resolveModelDir(linear), linear);
  const vq = listBundledModels('vqvae').map((m) => m.name);
  t.ok(vq.length > 0 && listBundledModels().length > vq.length, 'the kind filter keeps some, not all');
  t.ok(listBundledModels('codec').some((m) => m.name === 'rgb-16x-linear') && !listBundledModels('codec').some((m) => vq.includes(m.name)));
  t.throws(() => resolveModelDir('no-such-model', 'vqvae'), { code: 'WALLOC_ERR_MODEL_NOT_FOUND', message: new RegExp(vq.join(', ')) });
  t.throws(() => resolveModelDir('./no/such/folder'), { code: 'WALLOC_ERR_MODEL_NOT_FOUND' });
  // A bare folder name in the working directory, when no bundled model has that name.
  const here = process.cwd();
  const tmp = mkdtempSync(join(tmpdir(), 'walloc-bare-'));
  cpSync(linear, join(tmp, 'mymodel'), { recursive: true });
  process.chdir(tmp);
  try {
    t.equal(resolveModelDir('mymodel'), 'mymodel');
    t.equal(loadModel('mymodel').config.name, 'rgb-16x-linear');
    cpSync(linear, join(tmp, 'rgb-16x'), { recursive: true });
    t.equal(resolveModelDir('rgb-16x'), join(bundledModelsDir(), 'rgb-16x'), 'a bundled name still wins (./rgb-16x names the folder)');
  } finally {
    process.chdir(here);
  }
  t.end();
});

t.test('loadModel of a classifier or VQ-VAE folder says what it is, not which codec field it lacks', (t) => {
  t.throws(() => loadModel('fmnist-latent-resnet'), { code: 'WALLOC_ERR_MODEL_INVALID', message: /this is a classifier, not a codec/ });
  t.throws(() => loadModel('vqvae-mnist-k128'), { code: 'WALLOC_ERR_MODEL_INVALID', message: /this is a vqvae, not a codec/ });
  t.end();
});
