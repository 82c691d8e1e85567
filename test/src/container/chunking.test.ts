import t from 'tap';
import fc from 'fast-check';
import { WlcParser, readWlcSync, writeWlc } from '../../../src/container/index.js';
import { GOLDEN_HEADER, MULTI_HEADER, goldenFrames, multiFrames } from '../../fixtures-gen/container.js';
import { chunk, plain, readThroughStream } from './util.js';

const multi = writeWlc(MULTI_HEADER, multiFrames());
const expected = readWlcSync(multi);
const expectedFrames = expected.frames.map(plain);

function parseChunks(chunks: Uint8Array[]) {
  const parser = new WlcParser();
  const frames = [];
  const meta = [];
  for (const c of chunks) {
    for (const ev of parser.write(c)) {
      if (ev.type === 'frame') frames.push(plain(ev.frame));
      else if (ev.type === 'meta') meta.push(ev.data);
    }
  }
  return { frames, meta, ...parser.end(), header: parser.header };
}

t.test('1-byte chunks, through the parser and through the stream', async (t) => {
  const ones = chunk(multi, [1]);
  const p = parseChunks(ones);
  t.same(p.frames, expectedFrames);
  t.same(p.meta, [{ scene: 1 }]);
  t.equal(p.terminated, true);
  const s = await readThroughStream(ones);
  t.same(s.items.map(plain), expectedFrames);
  t.same(s.header, MULTI_HEADER);
  t.equal(s.terminated, true);
});

t.test('every two-chunk split point', async (t) => {
  for (let cut = 0; cut <= multi.length; cut++) {
    const p = parseChunks([multi.subarray(0, cut), multi.subarray(cut)]);
    if (JSON.stringify(p.frames) !== JSON.stringify(expectedFrames) || !p.terminated) t.fail(`split at ${cut}`);
  }
  t.pass(`${multi.length + 1} split points`);
});

t.test('every three-chunk split of the golden stream', async (t) => {
  const golden = writeWlc(GOLDEN_HEADER, goldenFrames());
  const want = JSON.stringify(readWlcSync(golden).frames.map(plain));
  let n = 0;
  for (let a = 0; a <= golden.length; a++) {
    for (let b = a; b <= golden.length; b++, n++) {
      const p = parseChunks([golden.subarray(0, a), golden.subarray(a, b), golden.subarray(b)]);
      if (JSON.stringify(p.frames) !== want) t.fail(`split at ${a}, ${b}`);
    }
  }
  t.pass(`${n} splits`);
});

t.test('random chunkings (fast-check), parser and stream agree with the one-shot read', async (t) => {
  const sizes = fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 });
  fc.assert(fc.property(sizes, (s) => JSON.stringify(parseChunks(chunk(multi, s)).frames) === JSON.stringify(expectedFrames)), { numRuns: 300 });
  await fc.assert(fc.asyncProperty(sizes, async (s) => {
    const r = await readThroughStream(chunk(multi, s));
    return JSON.stringify(r.items.map(plain)) === JSON.stringify(expectedFrames) && r.terminated;
  }), { numRuns: 100 });
  t.pass('properties held');
});

t.test('random streams of random frames survive random chunkings', async (t) => {
  const frameArb = fc.oneof(
    fc.array(fc.float({ noNaN: true }), { minLength: 1, maxLength: 40 }).map((v) => ({ kind: 'audio' as const, shape: [1, v.length], data: Float32Array.from(v), meta: { pts: v.length } })),
    fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: 40 }).map((v) => ({ kind: 'latent' as const, shape: [v.length], data: Int8Array.from(v), meta: { bits: 8 } })),
    fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 40 }).map((v) => ({ kind: 'tokens' as const, shape: [v.length, 1], data: Uint16Array.from(v), meta: {} })),
  );
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }), (frames, sizes) => {
    const bytes = writeWlc({ model: 'x' }, frames);
    const got = parseChunks(chunk(bytes, sizes));
    return JSON.stringify(got.frames) === JSON.stringify(frames.map(plain)) && got.terminated;
  }), { numRuns: 200 });
  t.pass('property held');
});
