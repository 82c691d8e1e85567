import t from 'tap';
import fc from 'fast-check';
import { rng, shuffled } from '../../../src/math/random.js';

t.test('rng: the same seed gives the same sequence, in [0, 1), and seeds differ', (t) => {
  const a = rng(7);
  const b = rng(7);
  const c = rng(8);
  const xs = Array.from({ length: 1000 }, () => a());
  t.same(Array.from({ length: 1000 }, () => b()), xs);
  t.ok(xs.every((x) => x >= 0 && x < 1));
  t.not(c(), xs[0]);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  t.ok(Math.abs(mean - 0.5) < 0.05, `mean of 1000 draws ${mean}`);
  t.end();
});

t.test('shuffled: a permutation of 0…n−1, reproducible from the seed', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 31 }), (n, seed) => {
    const o = shuffled(n, rng(seed));
    const sorted = Array.from(o).sort((x, y) => x - y);
    return o.length === n && sorted.every((v, i) => v === i) && shuffled(n, rng(seed)).every((v, i) => v === o[i]);
  }));
  t.end();
});

t.test('shuffled: draws from the top down, j = ⌊next·(i+1)⌋ (the order recorded trainings used)', (t) => {
  // A scripted `next` pins the algorithm: swap(3, ⌊0.5·4⌋ = 2), swap(2, ⌊0·3⌋ = 0), swap(1, ⌊0.99·2⌋ = 1).
  const draws = [0.5, 0, 0.99];
  t.same(Array.from(shuffled(4, () => draws.shift()!)), [3, 1, 0, 2]);
  // Every position is equally likely to hold each value (3 values, 6000 shuffles).
  const next = rng(3);
  const counts = [0, 0, 0];
  for (let k = 0; k < 6000; k++) counts[shuffled(3, next)[0]!]!++;
  t.ok(counts.every((c) => Math.abs(c - 2000) < 200), `first position counts ${counts}`);
  t.end();
});
