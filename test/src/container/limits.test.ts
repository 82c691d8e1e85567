import t from 'tap';
import {
  WlcParser, WlcReader, DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_CAP, writeWlc,
} from '../../../src/container/index.js';
import { makeFrame } from '../../../src/frame.js';
import { GOLDEN_HEADER, rawHeader } from '../../fixtures-gen/container.js';

const header = rawHeader(JSON.stringify(GOLDEN_HEADER));
const prefix = (length: number, type = 1, seq = 0) => {
  const p = Buffer.alloc(9);
  p.writeUInt32LE(length, 0);
  p[4] = type;
  p.writeUInt32LE(seq, 5);
  return p;
};

t.test('a 4 GB record length fails on its 9-byte prefix, with nothing buffered', async (t) => {
  const parser = new WlcParser();
  t.same([...parser.write(header)].map((e) => e.type), ['header']);
  const p = prefix(0xffffffff);
  // All but the last prefix byte: still waiting, nothing allocated.
  t.same([...parser.write(p.subarray(0, 8))], []);
  t.equal(parser.bufferedBytes, 8);
  t.throws(() => [...parser.write(p.subarray(8))], {
    code: 'WALLOC_ERR_CONTAINER_LENGTH',
    message: `record 0: length 4294967295 exceeds the limit of ${DEFAULT_MAX_RECORD_BYTES} bytes (raise maxRecordBytes, at most ${MAX_RECORD_BYTES_CAP})`,
  });
  t.equal(parser.bufferedBytes, 0);
});

t.test('the stream reader errors on the prefix without waiting for the input to end', async (t) => {
  const reader = new WlcReader();
  const failed = new Promise<unknown>((resolve) => reader.on('error', resolve));
  reader.resume();
  reader.write(header);
  reader.write(prefix(0xffffffff)); // never ended: the error must come from the prefix alone
  t.match(await failed, { code: 'WALLOC_ERR_CONTAINER_LENGTH', details: { record: 0, length: 0xffffffff } });
});

t.test('a large length within a raised limit is not preallocated', async (t) => {
  const parser = new WlcParser({ maxRecordBytes: MAX_RECORD_BYTES_CAP });
  [...parser.write(header)];
  const before = process.memoryUsage().arrayBuffers;
  [...parser.write(prefix(1.5 * 2 ** 30))];
  [...parser.write(Buffer.alloc(100))];
  const grown = process.memoryUsage().arrayBuffers - before;
  t.ok(grown < 16 * 2 ** 20, `array buffers grew by ${grown} bytes, not 1.5 GB`);
  t.equal(parser.bufferedBytes, 100);
  t.throws(() => parser.end(), { code: 'WALLOC_ERR_CONTAINER_TRUNCATED', message: /record 0: .*only 100 of the 1610612740 bytes/ });
});

t.test('maxRecordBytes is exact: a payload of exactly the limit passes, one byte more fails', async (t) => {
  const bytes = writeWlc({}, [makeFrame('latent', [16], new Int8Array(16), {})]);
  const payloadLength = bytes.readUInt32LE(bytes.readUInt32LE(5) + 13);
  t.equal(new WlcParser({ maxRecordBytes: payloadLength }).write(bytes).next().value?.type, 'header');
  t.doesNotThrow(() => { const p = new WlcParser({ maxRecordBytes: payloadLength }); [...p.write(bytes)]; p.end(); });
  t.throws(() => [...new WlcParser({ maxRecordBytes: payloadLength - 1 }).write(bytes)], { code: 'WALLOC_ERR_CONTAINER_LENGTH' });
  t.throws(() => [...new WlcParser({ maxRecordBytes: MAX_RECORD_BYTES_CAP }).write(Buffer.concat([header, prefix(MAX_RECORD_BYTES_CAP + 1)]))],
    { code: 'WALLOC_ERR_CONTAINER_LENGTH', message: /this is the hard cap/ });
});

t.test('buffering is O(record): after each record the parser holds only the next partial one', async (t) => {
  const frames = Array.from({ length: 20 }, (_, i) => makeFrame('audio', [1, 4096], new Float32Array(4096).fill(i), { pts: i * 4096 }));
  const bytes = writeWlc({}, frames);
  const recordBytes = 9 + 4 + 60 + 4096 * 4 + 4;
  const parser = new WlcParser();
  let maxBuffered = 0;
  let count = 0;
  for (let i = 0; i < bytes.length; i += 1000) {
    for (const ev of parser.write(bytes.subarray(i, i + 1000))) if (ev.type === 'frame') count++;
    maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
  }
  parser.end();
  t.equal(count, 20);
  t.ok(maxBuffered < recordBytes + 1000, `held at most ${maxBuffered} bytes of a ${bytes.length}-byte stream`);
});

t.test('1-byte chunks of a 1 MiB record are linear, not quadratic', async (t) => {
  const big = makeFrame('latent', [1 << 20], new Int8Array(1 << 20).fill(3), {});
  const bytes = writeWlc({}, [big]);
  const parser = new WlcParser();
  const start = performance.now();
  let got = 0;
  for (let i = 0; i < bytes.length; i++) for (const ev of parser.write(bytes.subarray(i, i + 1))) if (ev.type === 'frame') got = ev.frame.data.length;
  parser.end();
  const ms = performance.now() - start;
  t.equal(got, 1 << 20);
  t.ok(ms < 10_000, `${bytes.length} one-byte writes took ${ms.toFixed(0)} ms`);
});
