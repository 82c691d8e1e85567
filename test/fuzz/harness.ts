/**
 * The fuzz harness (issue 11): targets, a seeded mutator, the per-input oracle and a minimiser.
 * A target is {name, seedCorpus, run(input)}: `run` must return (or resolve) or throw a
 * WallocError. Anything else is a crash: a TypeError, a RangeError from an allocation, a broken
 * property (the target throws a plain Error), a run longer than the per-input time limit (a hang),
 * or memory left allocated beyond the stated bound after the input is done.
 *
 * Used by test/fuzz/run.ts (`npm run fuzz`, large budgets, one worker thread per target with a
 * watchdog) and by test/robustness/*.test.ts (`npm test`, a few seconds per target).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isWallocError } from '../../src/errors.js';

export type FuzzInput = Uint8Array | string;

export interface FuzzTarget<I extends FuzzInput = FuzzInput> {
  /** Short name; crashes are saved under fixtures/fuzz/<name>/. */
  readonly name: string;
  readonly input: I extends string ? 'string' : 'bytes';
  /** Valid (and deliberately broken) inputs the mutator starts from. */
  readonly seedCorpus: readonly I[];
  /** Succeeds, or throws a WallocError; anything else is a bug. */
  run(input: I): void | Promise<void>;
  /** Per-input time limit in ms (a run that takes longer is a hang). */
  readonly timeLimitMs: number;
  /** Extra tokens the mutator splices in (format keywords, magic numbers). */
  readonly dictionary?: readonly (I extends string ? string : Uint8Array)[];
}

/**
 * The stated allocation bound: what one input may leave allocated (V8 heap + ArrayBuffers, measured
 * after it returns) is at most 64 MiB + 64 bytes per input byte. Every target's own limits are set
 * well below it, so exceeding it means an allocation that escaped its limit.
 */
export const ALLOC_BOUND_BASE = 64 * 2 ** 20;
export const ALLOC_BOUND_PER_BYTE = 64;

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'error'; code: string }
  | { kind: 'crash'; error: string; stack?: string }
  | { kind: 'hang'; ms: number }
  | { kind: 'alloc'; bytes: number };

// A collector to confirm a suspected over-allocation (retained garbage is not a leak).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (() => void) | undefined;

const memNow = (): number => {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
};

/** Runs one input and classifies the result. */
export async function runOne<I extends FuzzInput>(target: FuzzTarget<I>, input: I): Promise<Outcome> {
  const before = memNow();
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    const r = target.run(input);
    if (r instanceof Promise) await r;
    outcome = { kind: 'ok' };
  } catch (e) {
    if (isWallocError(e)) outcome = { kind: 'error', code: e.code };
    else outcome = { kind: 'crash', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined };
  }
  const ms = performance.now() - t0;
  if (outcome.kind !== 'crash' && ms > target.timeLimitMs) return { kind: 'hang', ms };
  const grew = memNow() - before;
  if (outcome.kind !== 'crash' && grew > ALLOC_BOUND_BASE + ALLOC_BOUND_PER_BYTE * input.length) {
    // Retained memory may be garbage not yet collected: confirm after a GC when one is exposed.
    collect?.();
    const still = memNow() - before;
    if (still > ALLOC_BOUND_BASE + ALLOC_BOUND_PER_BYTE * input.length) return { kind: 'alloc', bytes: still };
  }
  return outcome;
}

/** Same-kind outcomes (used by the minimiser: a smaller input must fail the same way). */
export function sameFailure(a: Outcome, b: Outcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'crash' && b.kind === 'crash') return a.error.split(':')[0] === b.error.split(':')[0];
  return true;
}

// --- a small seeded PRNG (xorshift32), so a run is reproducible from its seed ----------------

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}

const INTERESTING_U32 = [0, 1, 2, 3, 4, 8, 9, 13, 255, 256, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 100000, 1 << 20, 1 << 28];
const INTERESTING_NUMBERS = ['0', '-1', '1', '2', '3', '7', '99999999999', '100000', '65536', '16384', '4294967296', '1e308', '-0', '0.5', 'NaN', '255', '256', '9007199254740993'];

function replaceDigits(bytes: Uint8Array, rng: Rng): Uint8Array {
  // Find a run of ASCII digits (y4m "W96", JSON "shape":[12,...]) and put an interesting number there.
  const starts: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x30 && bytes[i]! <= 0x39 && (i === 0 || bytes[i - 1]! < 0x30 || bytes[i - 1]! > 0x39)) starts.push(i);
  if (starts.length === 0) return bytes;
  const s = rng.pick(starts);
  let e = s;
  while (e < bytes.length && bytes[e]! >= 0x30 && bytes[e]! <= 0x39) e++;
  const num = Buffer.from(rng.pick(INTERESTING_NUMBERS), 'latin1');
  return Buffer.concat([bytes.subarray(0, s), num, bytes.subarray(e)]);
}

/** One to eight random edits of a seed: the mutator behind every bytes target. */
export function mutateBytes(seed: Uint8Array, rng: Rng, corpus: readonly Uint8Array[], dictionary: readonly Uint8Array[] = []): Uint8Array {
  if (rng.chance(0.03)) {
    const out = new Uint8Array(rng.int(512));
    for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
    return out;
  }
  let b: Uint8Array = Uint8Array.from(seed);
  const edits = 1 + rng.int(rng.chance(0.5) ? 2 : 8);
  for (let k = 0; k < edits; k++) {
    const n = b.length;
    const at = rng.int(n + 1);
    switch (rng.int(12)) {
      case 0: if (n) b[rng.int(n)]! ^= 1 << rng.int(8); break;
      case 1: if (n) b[rng.int(n)] = rng.int(256); break;
      case 2: if (n) b[rng.int(n)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x20]); break;
      case 3: { const ins = new Uint8Array(1 + rng.int(16)); for (let i = 0; i < ins.length; i++) ins[i] = rng.int(256); b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]); break; }
      case 4: b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(n, at + 1 + rng.int(rng.chance(0.5) ? 8 : 256)))]); break;
      case 5: { const from = rng.int(n + 1); const len = rng.int(Math.min(256, n - from) + 1); b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]); break; }
      case 6: b = b.subarray(0, at); break;
      case 7: if (n >= 4) { const o = rng.int(n - 3); const v = rng.chance(0.7) ? rng.pick(INTERESTING_U32) : rng.next(); Buffer.from(b.buffer, b.byteOffset, b.byteLength).writeUInt32LE(v >>> 0, o); } break;
      case 8: { const other = rng.pick(corpus); const from = rng.int(other.length + 1); b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rng.int(512)), b.subarray(Math.min(n, at + rng.int(64)))]); break; }
      case 9: b = replaceDigits(b, rng); break;
      case 10: if (dictionary.length) { const w = rng.pick(dictionary); b = rng.chance(0.5) ? Buffer.concat([b.subarray(0, at), w, b.subarray(at)]) : Buffer.concat([b.subarray(0, at), w, b.subarray(Math.min(n, at + w.length))]); } break;
      case 11: if (n >= 2) { const o = rng.int(n - 1); Buffer.from(b.buffer, b.byteOffset, b.byteLength).writeUInt16LE(rng.pick([0, 1, 0xffff, 0x8000, 0x7fff, 16383, 16384]), o); } break;
    }
  }
  return b;
}

const GRAPH_ALPHABET = ['[', ']', ',', ';', ':', '=', "'", '\\', '@', ' ', '\n', '\t', 'a', '0', '|', '-', '.', '\u0000', 'é', '\uD800', '"', '%'];

/** String mutator for grammar targets: character edits plus dictionary splices. */
export function mutateString(seed: string, rng: Rng, corpus: readonly string[], dictionary: readonly string[] = []): string {
  if (rng.chance(0.03)) {
    let s = '';
    const len = rng.int(64);
    for (let i = 0; i < len; i++) s += rng.pick(GRAPH_ALPHABET);
    return s;
  }
  let s = seed;
  const edits = 1 + rng.int(rng.chance(0.5) ? 2 : 6);
  for (let k = 0; k < edits; k++) {
    const n = s.length;
    const at = rng.int(n + 1);
    switch (rng.int(7)) {
      case 0: s = s.slice(0, at) + rng.pick(GRAPH_ALPHABET) + s.slice(at); break;
      case 1: s = s.slice(0, at) + s.slice(at + 1 + rng.int(8)); break;
      case 2: s = s.slice(0, at) + rng.pick(GRAPH_ALPHABET) + s.slice(at + 1); break;
      case 3: if (dictionary.length) s = s.slice(0, at) + rng.pick(dictionary) + s.slice(at); break;
      case 4: { const o = rng.pick(corpus); const f = rng.int(o.length + 1); s = s.slice(0, at) + o.slice(f, f + rng.int(24)) + s.slice(at); break; }
      case 5: { const f = rng.int(n + 1); s = s.slice(0, at) + s.slice(f, f + rng.int(16)) + s.slice(at); break; }
      case 6: s = s.slice(0, at); break;
    }
  }
  return s;
}

/** A fresh input for a target from its corpus. */
export function generate<I extends FuzzInput>(target: FuzzTarget<I>, rng: Rng): I {
  const corpus = target.seedCorpus;
  const seed = rng.pick(corpus);
  if (typeof seed === 'string') return mutateString(seed, rng, corpus as readonly string[], (target.dictionary ?? []) as readonly string[]) as I;
  return mutateBytes(seed, rng, corpus as readonly Uint8Array[], (target.dictionary ?? []) as readonly Uint8Array[]) as I;
}

/**
 * Shrinks a failing input by deleting chunks (halving the chunk size down to one byte or
 * character) while it still fails the same way. Bounded by `maxRuns` target runs.
 */
export async function minimise<I extends FuzzInput>(target: FuzzTarget<I>, input: I, failure: Outcome, maxRuns = 2000): Promise<I> {
  let cur = input;
  let runs = 0;
  const cut = (x: I, from: number, to: number): I =>
    (typeof x === 'string' ? x.slice(0, from) + x.slice(to) : Buffer.concat([x.subarray(0, from), x.subarray(to)])) as I;
  for (let size = Math.max(1, Math.floor(cur.length / 2)); size >= 1; size = Math.floor(size / 2)) {
    for (let at = 0; at < cur.length && runs < maxRuns;) {
      const cand = cut(cur, at, at + size);
      runs++;
      if (sameFailure(await runOne(target, cand), failure)) cur = cand;
      else at += size;
    }
    if (runs >= maxRuns) break;
  }
  return cur;
}

export interface TargetStats {
  target: string;
  inputs: number;
  ok: number;
  /** Coded errors seen, with counts. */
  errors: Record<string, number>;
  crashes: number;
  hangs: number;
  allocs: number;
  seconds: number;
  /** Failing inputs (first few), for saving. */
  failures: Array<{ input: FuzzInput; outcome: Outcome }>;
}

/**
 * Runs a target in this thread for `inputs` inputs or `seconds`, whichever comes first: the seeds
 * themselves first, then mutations. `onInput` sees each input before it runs (the watchdog's hook).
 */
export async function fuzzTarget<I extends FuzzInput>(target: FuzzTarget<I>, opts: { inputs: number; seconds: number; seed: number; onInput?: (input: I, index: number) => void; maxFailures?: number }): Promise<TargetStats> {
  const rng = new Rng(opts.seed);
  const stats: TargetStats = { target: target.name, inputs: 0, ok: 0, errors: {}, crashes: 0, hangs: 0, allocs: 0, seconds: 0, failures: [] };
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  const maxFailures = opts.maxFailures ?? 5;
  for (let i = 0; i < opts.inputs; i++) {
    if ((i & 15) === 0 && performance.now() > deadline) break;
    const input = i < target.seedCorpus.length ? target.seedCorpus[i]! : generate(target, rng);
    opts.onInput?.(input, i);
    const o = await runOne(target, input);
    stats.inputs++;
    switch (o.kind) {
      case 'ok': stats.ok++; break;
      case 'error': stats.errors[o.code] = (stats.errors[o.code] ?? 0) + 1; break;
      case 'crash': stats.crashes++; break;
      case 'hang': stats.hangs++; break;
      case 'alloc': stats.allocs++; break;
    }
    if (o.kind !== 'ok' && o.kind !== 'error' && stats.failures.length < maxFailures) stats.failures.push({ input, outcome: o });
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}
