// Loads the PyWavelets reference vectors written by test/fixtures-gen/wavelets.py.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WallocError } from '../../../src/errors.js';

export interface RefCase {
  op: string;
  wavelet: string | null;
  levels: number;
  inShape: number[];
  outShape: number[];
  x: Float32Array;
  y: Float32Array;
  pad?: [number, number];
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'wavelets');

export function loadCases(): RefCase[] {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    cases: Array<Omit<RefCase, 'x' | 'y'> & { input: [number, number]; output: [number, number] }>;
  };
  const bin = readFileSync(join(dir, 'ref.bin'));
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  return index.cases.map(({ input, output, ...c }) => ({
    ...c,
    x: all.slice(input[0], input[0] + input[1]),
    y: all.slice(output[0], output[0] + output[1]),
  }));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Deterministic pseudo-random float32 data in [-0.5, 0.5). */
export function noise(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Asserts that `fn` throws a WallocError with `code`. */
export function throwsCode(tt: { ok(v: unknown, msg: string): unknown }, fn: () => unknown, code: string, what = code): void {
  try {
    fn();
    tt.ok(false, `${what}: expected ${code}, nothing thrown`);
  } catch (e) {
    const got = (e as { code?: string }).code;
    tt.ok(e instanceof WallocError && got === code, `${what}: ${code}${got === code ? '' : ` (got ${got ?? String(e)})`}`);
  }
}
