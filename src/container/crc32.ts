/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF): the same
 * checksum as zlib, PNG, gzip and zip, so any other implementation can verify a .wlc file with the
 * library it already has.
 */
import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, previous?: number) => number;

let table: Uint32Array | undefined;

/** Table-driven fallback for Node builds older than 20.15, which lack `zlib.crc32`. */
function crc32Table(data: Uint8Array, previous = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

// `package.json` promises Node >= 20, and zlib.crc32 only arrived in 20.15 / 22.2.
const native = (zlib as { crc32?: Crc32Fn }).crc32;

/**
 * CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it), so a record split
 * across several buffers can be checked without joining them.
 *
 * @example
 * crc32(Buffer.from('123456789')); // 0xcbf43926
 * crc32(Buffer.from('6789'), crc32(Buffer.from('12345'))); // 0xcbf43926
 */
export function crc32(data: Uint8Array, previous = 0): number {
  return native !== undefined ? native(data, previous) >>> 0 : crc32Table(data, previous);
}

/** The portable implementation, exported so tests can check it against the native one. */
export const crc32Portable: Crc32Fn = crc32Table;
