import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as tick } from 'node:timers/promises';
import { WlcReader, WlcWriter, writeWlc } from '../../../src/container/index.js';
import { makeFrame, type Frame } from '../../../src/frame.js';

const FRAMES = 2000;
const frameAt = (i: number) => makeFrame('audio', [1, 256], new Float32Array(256).fill(i), { pts: i * 256 });

t.test('a slow frame consumer throttles how much of the input the reader pulls', async (t) => {
  const bytes = writeWlc({ modality: 'audio' }, Array.from({ length: FRAMES }, (_, i) => frameAt(i)));
  const recordBytes = (bytes.length - 100) / FRAMES;
  let pulled = 0;
  let maxLead = 0;
  let consumed = 0;
  const source = Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += 4096) {
      const c = bytes.subarray(i, i + 4096);
      pulled += c.length;
      yield c;
    }
  })());
  const slow = new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(frame: Frame, _e, cb) {
      if (frame.data[0] !== consumed) { cb(new Error(`frame ${consumed} out of order`)); return; }
      consumed++;
      maxLead = Math.max(maxLead, pulled - consumed * recordBytes);
      setImmediate(cb);
    },
  });
  await pipeline(source, new WlcReader(), slow);
  t.equal(consumed, FRAMES);
  t.ok(maxLead < 256 * 1024, `reader ran at most ${(maxLead / 1024).toFixed(0)} KiB ahead of a ${(bytes.length / 1024).toFixed(0)} KiB stream`);
});

t.test('a slow byte consumer throttles how many frames the writer takes', async (t) => {
  let produced = 0;
  let written = 0;
  let maxLead = 0;
  const frames = Readable.from((function* () {
    for (let i = 0; i < FRAMES; i++) {
      produced++;
      yield frameAt(i);
    }
  })());
  const recordBytes = 9 + 4 + 60 + 1024 + 4;
  const slow = new Writable({
    highWaterMark: 1024,
    write(c: Buffer, _e, cb) {
      written += c.length;
      maxLead = Math.max(maxLead, produced - written / recordBytes);
      tick().then(() => cb(), cb);
    },
  });
  await pipeline(frames, new WlcWriter({ header: { modality: 'audio' } }), slow);
  t.equal(produced, FRAMES);
  t.ok(maxLead < 64, `the writer was at most ${maxLead.toFixed(1)} frames ahead of the sink`);
});
