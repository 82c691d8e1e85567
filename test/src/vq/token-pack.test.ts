import t from 'tap';
import { packBits, packTokens, tokenBits, unpackBits, unpackTokens } from '../../../src/vq/token-pack.js';
import { loadVqDataset } from '../../../src/vq/datasets.js';

/** Real token-like grids: 7×7 block means of MNIST digits, quantised to K levels (spatially correlated as VQ tokens are). */
function digitGrids(k: number, n: number): Uint16Array {
  const set = loadVqDataset('mnist', 'test', { limit: n });
  const out = new Uint16Array(n * 49);
  for (let i = 0; i < n; i++) {
    for (let by = 0; by < 7; by++) {
      for (let bx = 0; bx < 7; bx++) {
        let s = 0;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) s += set.pixels[i * 784 + (by * 4 + y) * 28 + bx * 4 + x]!;
        out[i * 49 + by * 7 + bx] = Math.min(k - 1, Math.floor((s / (16 * 256)) * k));
      }
    }
  }
  return out;
}

t.test('tokenBits is ⌈log2 K⌉', (t) => {
  t.same([2, 3, 64, 128, 129, 256, 512, 65536].map(tokenBits), [1, 2, 6, 7, 8, 8, 9, 16]);
  t.throws(() => tokenBits(1), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => tokenBits(65537), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.end();
});

t.test('bit packing round-trips every width and length exactly', (t) => {
  let seed = 7;
  for (let bits = 1; bits <= 16; bits++) {
    for (const n of [0, 1, 7, 8, 9, 49, 1000]) {
      const v = new Uint16Array(n);
      for (let i = 0; i < n; i++) v[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> (32 - bits);
      const packed = packBits(v, bits);
      t.equal(packed.length, Math.ceil((n * bits) / 8), `${n}×${bits} bits is tight`);
      t.same([...unpackBits(packed, n, bits)], [...v]);
    }
  }
  t.same([...packBits(Uint16Array.of(5, 3), 3)], [0b10101100], 'MSB first');
  t.end();
});

t.test('packed tokens of real digit grids round-trip bit-exactly and are tight', (t) => {
  for (const k of [64, 128, 256, 512]) {
    const grids = digitGrids(k, 50);
    for (let i = 0; i < 50; i++) {
      const tokens = grids.subarray(i * 49, (i + 1) * 49);
      const { data, info } = packTokens(tokens, [7, 7], k);
      t.ok(data.length <= 1 + Math.ceil((49 * tokenBits(k)) / 8), `K=${k} image ${i}: at most ⌈49·log2 K / 8⌉ + 1 bytes`);
      const back = unpackTokens(data, info);
      if (back.length !== 49 || back.some((v, j) => v !== tokens[j])) t.fail(`K=${k} image ${i} differs`);
    }
  }
  // Mostly-background grids compress below the bit budget, so deflate is chosen for them.
  const flat = new Uint16Array(49);
  t.equal(packTokens(flat, [7, 7], 128).info.coder, 'deflate');
  t.end();
});

t.test('bad token streams give coded errors', (t) => {
  const tokens = digitGrids(128, 1);
  const { data, info } = packTokens(tokens, [7, 7], 128);
  const raw = packTokens(Uint16Array.from({ length: 49 }, (_, i) => (i * 37) % 128), [7, 7], 128);
  t.equal(raw.info.coder, 'bits');
  t.throws(() => unpackTokens(raw.data.subarray(0, raw.data.length - 1), raw.info), { code: 'WALLOC_ERR_VQ_STREAM', message: /truncated/ });
  t.throws(() => unpackTokens(data.subarray(0, Math.max(1, data.length - 3)), info), { code: 'WALLOC_ERR_VQ_STREAM' });
  t.throws(() => unpackTokens(new Uint8Array(0), info), { code: 'WALLOC_ERR_VQ_STREAM' });
  t.throws(() => packTokens(Uint16Array.of(128), [1], 128), { code: 'WALLOC_ERR_VQ_TOKEN' });
  // A 7-bit field can spell 127 but not 128; 130 entries need 8 bits, which can spell 255.
  const over = packTokens(Uint16Array.of(129, 3), [2], 130);
  const forged = { ...over.info, codebook: 129 };
  t.throws(() => unpackTokens(over.data, forged), { code: 'WALLOC_ERR_VQ_TOKEN', message: /token 129 at index 0/ });
  t.throws(() => unpackTokens(raw.data, { ...raw.info, bits: 8 }), { code: 'WALLOC_ERR_VQ_STREAM', message: /bits/ });
  t.throws(() => unpackTokens(raw.data, { ...raw.info, coder: 'deflate' }), { code: 'WALLOC_ERR_VQ_STREAM', message: /coder byte/ });
  t.throws(() => unpackTokens(raw.data, { ...raw.info, shape: [7, 8] }), { code: 'WALLOC_ERR_VQ_STREAM' });
  t.end();
});
