/**
 * The model folder format's building blocks: tensors packed back to back as little-endian float32
 * and read back through a checked index, the atomic two-file write, and a codec model's round trip.
 */
import t from 'tap';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { werr } from '../../../src/errors.js';
import { loadModel, packTensors, parseModel, saveModel, sha256, unpackTensors, writeModelFiles } from '../../../src/models/model-file.js';
import type { NamedWeights } from '../../../src/nn/variables.js';

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
  t.notOk(existsSync(join(out, 'model.json.tmp')) || existsSync(join(out, 'weights.bin.tmp')));
  t.throws(() => parseModel(readFileSync(join(out, 'model.json')), Buffer.alloc(3), 'copy'), { code: 'WALLOC_ERR_MODEL_CHECKSUM' });
  t.end();
});
