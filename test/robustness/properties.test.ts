/**
 * Issue 11, item 1: every parser under arbitrary bytes and mutations of valid inputs, with a small
 * budget (a couple of seconds per target): each input succeeds or ends in a coded WALLOC_ERR_*
 * error, within its time limit and the allocation bound. `npm run fuzz` runs the same targets for
 * a million inputs each. Plus the round trips the parsers promise.
 */
import t from 'tap';
import fc from 'fast-check';
import { fuzzTarget } from '../fuzz/harness.js';
import { TARGETS } from '../fuzz/targets/index.js';
import { packLatents, unpackLatents } from '../../transforms/pack.js';
import { readWlcSync, writeWlc } from '../../src/container/index.js';
import { makeFrame } from '../../src/frame.js';

const SECONDS = Number(process.env.WALLOC_ROBUSTNESS_SECONDS ?? 1.5);
const SEED = Number(process.env.WALLOC_FUZZ_SEED ?? 20261123);

for (const name of Object.keys(TARGETS)) {
  t.test(`${name}: mutated and random inputs end in success or a coded error`, async (t) => {
    const target = await TARGETS[name]!();
    const stats = await fuzzTarget(target, { inputs: 5000, seconds: SECONDS, seed: SEED });
    for (const f of stats.failures) t.fail(`${f.outcome.kind}: ${JSON.stringify({ ...f.outcome, stack: undefined })}`, { input: typeof f.input === 'string' ? f.input : Buffer.from(f.input).toString('base64') });
    t.equal(stats.crashes + stats.hangs + stats.allocs, 0, 'no crash, hang or over-allocation');
    t.ok(stats.inputs >= Math.min(50, target.seedCorpus.length), `${stats.inputs} inputs tried, errors ${JSON.stringify(stats.errors)}`);
    for (const code of Object.keys(stats.errors)) t.match(code, /^WALLOC_ERR_[A-Z_]+$/);
  });
}

t.test('pack: unpack(pack(q)) == q bit-exact, any shape, format and bits', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }),
    fc.constantFrom('webp' as const, 'png' as const), fc.integer({ min: 2, max: 8 }), fc.integer(),
    async (n, h, w, format, bits, salt) => {
      const lim = 2 ** (bits - 1) - 1;
      const q = Int8Array.from({ length: n * h * w }, (_, i) => (((i * 7919 + salt) % (2 * lim + 1)) + 2 * lim + 1) % (2 * lim + 1) - lim);
      const { data, info } = await packLatents(q, [n, h, w], { format, bits });
      const back = await unpackLatents(data, info);
      return Buffer.from(back.buffer).equals(Buffer.from(q.buffer));
    },
  ), { numRuns: 40 });
  t.pass('40 random latents round-tripped bit-exactly');
});

t.test('container: readWlc(writeWlc(frames)) == frames, any dtype and shape', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 }), fc.integer({ min: 0, max: 3 })), { maxLength: 5 }),
    (specs) => {
      const frames = specs.map(([shape, k], i) => {
        const n = shape.reduce((a, d) => a * d, 1);
        const data = [new Float32Array(n).map((_, j) => j / 3 - i), new Int8Array(n).map((_, j) => j - 5), new Uint8Array(n).map((_, j) => j * 3), new Uint16Array(n).map((_, j) => j * 999)][k]!;
        return makeFrame('latent', shape, data as Int8Array, { pts: i });
      });
      const back = readWlcSync(writeWlc({ model: 'x' }, frames), { strict: true });
      return back.frames.length === frames.length && back.frames.every((f, i) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).equals(Buffer.from(frames[i]!.data.buffer)) && f.data.constructor === frames[i]!.data.constructor);
    },
  ), { numRuns: 300 });
  t.pass('300 random streams round-tripped');
});
