/** The shared gzip helpers (src/io/gzip.ts) on real compressed bytes. */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { inflateHead, isGzip } from '../../../src/io/gzip.js';

t.test('isGzip: the magic only', async (t) => {
  t.ok(isGzip(gzipSync(Buffer.from('x'))));
  t.notOk(isGzip(Buffer.from([0x1f])));
  t.notOk(isGzip(Buffer.from('PK\x03\x04')));
});

t.test('inflateHead: the start of a stream, a cut stream, a bomb, not gzip', async (t) => {
  const text = Buffer.from(Array.from({ length: 20000 }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 90))).join(''));
  const gz = gzipSync(text);
  const head = inflateHead(gz);
  t.ok(head.length >= 352, `${head.length} bytes from the first 4 KiB`);
  t.same(head, text.subarray(0, head.length), 'the first bytes, unchanged');
  t.same(inflateHead(gz.subarray(0, 200)), text.subarray(0, inflateHead(gz.subarray(0, 200)).length), 'a cut stream gives what it holds');
  // 64 MiB of zeros: only the first 4 KiB of the stream are inflated, a few MiB at most.
  const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
  const b = inflateHead(bomb);
  t.ok(b.length > 0 && b.length <= 8 << 20 && b.length < 64 << 20, `bounded: ${b.length} bytes of 64 MiB`);
  t.throws(() => inflateHead(Buffer.from('not gzip at all')), 'not gzip: zlib\'s own error');
});
