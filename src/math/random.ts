/**
 * Seeded randomness for training and tests: every crop, noise draw and batch order in walloc comes
 * from a seed, so a training run (and its `--resume`) is reproducible.
 */

/**
 * mulberry32: a tiny, fast, seedable generator of floats in [0, 1); plenty for crop positions,
 * noise and batch orders (not for anything cryptographic).
 *
 * @example
 * const next = rng(1);
 * const x = next(); // the same first value for seed 1, every run
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 0 … n−1 in a random order (Fisher–Yates from the top, one draw of `next` per position), e.g.
 * an epoch's batch order. The same `next` sequence always gives the same order.
 *
 * @example
 * const order = shuffled(train.n, rng(seed * 31 + epoch));
 */
export function shuffled(n: number, next: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
