import t from 'tap';
import fc from 'fast-check';
import { crc32, crc32Portable } from '../../../src/container/crc32.js';

t.test('known vectors', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  t.equal(crc32(new Uint8Array(0)), 0);
  t.equal(crc32Portable(Buffer.from('123456789')), 0xcbf43926);
  t.equal(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});

t.test('continuing from a previous CRC equals one pass over the joined bytes', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
    const joined = Buffer.concat([a, b]);
    return crc32(b, crc32(a)) === crc32(joined) && crc32Portable(b, crc32Portable(a)) === crc32(joined);
  }));
  t.pass('property held');
});

t.test('the portable fallback agrees with zlib', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => crc32Portable(a) === crc32(a)));
  t.pass('property held');
});
