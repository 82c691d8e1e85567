import t from 'tap';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { WlcParser, readWlc, writeWlc } from '../../../src/container/index.js';
import { isWallocError } from '../../../src/errors.js';
import { MULTI_HEADER, multiFrames } from '../../fixtures-gen/container.js';
import { chunk } from './util.js';

const valid = writeWlc(MULTI_HEADER, multiFrames());

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'truncate'; at: number }
  | { op: 'u32'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  // Length and sequence fields are u32s: write plausible and absurd ones on purpose.
  fc.record({ op: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.constant(0xffffffff), fc.constant(0x7fffffff), fc.nat({ max: 1 << 20 }), fc.nat({ max: 64 })) }),
);

function mutate(bytes: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.op) {
      case 'flip': if (b.length) b[at]! ^= 1 << m.bit; break;
      case 'set': if (b.length) b[at] = m.value; break;
      case 'insert': b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]); break;
      case 'delete': b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]); break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'u32': if (b.length >= 4) b.writeUInt32LE(m.value, Math.min(at, b.length - 4)); break;
    }
  }
  return b;
}

const CONTAINER_CODE = /^WALLOC_ERR_CONTAINER_[A-Z_]+$/;

/** Either frames (every one well-formed) or a coded container error; anything else fails the property. */
function outcomeOf(run: () => { frames: number }): string {
  try {
    return `frames:${run().frames}`;
  } catch (e) {
    if (isWallocError(e) && CONTAINER_CODE.test(e.code)) return e.code;
    throw e;
  }
}

function parseAll(bytes: Buffer, sizes: number[]): { frames: number } {
  const parser = new WlcParser();
  let frames = 0;
  for (const c of chunk(bytes, sizes)) {
    for (const ev of parser.write(c)) {
      if (ev.type === 'frame') {
        const f = ev.frame;
        if (f.data.length !== f.shape.reduce((a, d) => a * d, 1)) throw new Error('emitted a malformed frame');
        frames++;
      }
    }
  }
  parser.end();
  return { frames };
}

t.test('any mutation of a valid stream ends in frames or a coded container error, in any chunking', async (t) => {
  const outcomes = new Map<string, number>();
  fc.assert(fc.property(
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
    (ms, sizes) => {
      const bytes = mutate(valid, ms);
      const whole = outcomeOf(() => parseAll(bytes, [Math.max(1, bytes.length)]));
      const chunked = outcomeOf(() => parseAll(bytes, sizes));
      outcomes.set(whole, (outcomes.get(whole) ?? 0) + 1);
      return whole === chunked; // chunking never changes the verdict
    },
  ), { numRuns: 2000 });
  t.ok(outcomes.size >= 5, `saw varied outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
});

t.test('the same holds through readWlc over a stream', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.array(mutation, { minLength: 1, maxLength: 3 }),
    fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
    async (ms, sizes) => {
      const bytes = mutate(valid, ms);
      try {
        await readWlc(Readable.from(chunk(bytes, sizes)));
      } catch (e) {
        if (!(isWallocError(e) && CONTAINER_CODE.test(e.code))) throw e;
      }
    },
  ), { numRuns: 300 });
  t.pass('property held');
});

t.test('random bytes after a valid header are never mistaken for frames', async (t) => {
  const headerLength = 9 + valid.readUInt32LE(5) + 4;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (junk) => {
    const out = outcomeOf(() => parseAll(Buffer.concat([valid.subarray(0, headerLength), junk]), [7]));
    return out.startsWith('WALLOC_ERR_') || out === 'frames:0';
  }), { numRuns: 1000 });
  t.pass('property held');
});
