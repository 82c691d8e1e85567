import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readWlcSync, writeWlc } from '../../../src/container/index.js';
import {
  FIXTURE_DIR, GOLDEN_HEADER, buildContainerFixtures, goldenFrames, manifestOf,
} from '../../fixtures-gen/container.js';
import { chunk, readThroughStream } from './util.js';

// The golden example, byte for byte, as annotated in docs/format.md. If this test fails, the
// on-disk format changed: that needs a new WLC_VERSION, not a new constant here.
const GOLDEN_HEX = [
  '574c4f43', '01', '19000000', '7b226d6f64656c223a2264656d6f222c2262697473223a387d', '29de8d30',
  '47000000', '01', '00000000',
  '3f000000', '7b226b696e64223a226c6174656e74222c226474797065223a22696e7438222c227368617065223a5b322c325d2c226d657461223a7b22707473223a307d7d',
  '01ff02fe', '4b7c7d47',
  '0d000000', '02', '01000000', '7b226e6f7465223a226869227d', '9d8cfc10',
  '00000000', '03', '02000000', 'f5a6a00b',
].join('');

t.test('writeWlc produces the pinned golden bytes', async (t) => {
  t.equal(writeWlc(GOLDEN_HEADER, goldenFrames()).toString('hex'), GOLDEN_HEX);
});

t.test('the committed golden fixture is the pinned bytes, and reads back', async (t) => {
  const bytes = readFileSync(join(FIXTURE_DIR, 'golden.wlc'));
  t.equal(bytes.toString('hex'), GOLDEN_HEX);
  const r = readWlcSync(bytes);
  t.same(r.header, { model: 'demo', bits: 8 });
  t.same(r.frames.map((f) => [f.kind, [...f.shape], Array.from(f.data), f.meta]), [['latent', [2, 2], [1, -1, 2, -2], { pts: 0 }]]);
  t.same(r.meta, [{ type: 'meta', data: { note: 'hi' }, before: 1 }]);
  t.equal(r.terminated, true);
});

const fixtures = buildContainerFixtures();

t.test('committed fixtures match the generator and the manifest', async (t) => {
  const onDisk = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.wlc')).sort();
  t.same(onDisk, fixtures.map((f) => f.name).sort(), 'same set of files (rerun test/fixtures-gen/container.ts)');
  for (const f of fixtures) t.equal(readFileSync(join(FIXTURE_DIR, f.name)).toString('hex'), f.bytes.toString('hex'), f.name);
  t.same(JSON.parse(readFileSync(join(FIXTURE_DIR, 'manifest.json'), 'utf8')), JSON.parse(JSON.stringify(manifestOf(fixtures))));
});

t.test('every fixture reads as its manifest says, whole and in 1-byte chunks', async (t) => {
  for (const f of fixtures) {
    const bytes = readFileSync(join(FIXTURE_DIR, f.name));
    for (const strict of [false, true]) {
      const want = strict ? (f.strict ?? f.expect) : f.expect;
      const label = `${f.name}${strict ? ' (strict)' : ''}`;
      if (want === 'ok') {
        t.equal(readWlcSync(bytes, { strict }).frames.length, f.frames, label);
        t.equal((await readThroughStream(chunk(bytes, [1]), { strict })).items.length, f.frames, `${label}, 1-byte chunks`);
      } else {
        t.throws(() => readWlcSync(bytes, { strict }), { code: want }, label);
        await t.rejects(readThroughStream(chunk(bytes, [1]), { strict }), { code: want }, `${label}, 1-byte chunks`);
      }
    }
  }
});
