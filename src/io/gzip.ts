/**
 * gzip helpers shared by the volume readers (.nii.gz, .dcm.gz): the magic, and inflating only the
 * start of a stream to look at a header without inflating (or trusting) the rest.
 */
import { constants as zc, gunzipSync } from 'node:zlib';

/**
 * True when bytes start with the gzip magic (1F 8B).
 *
 * @example
 * isGzip(readFileSync('brain.nii.gz')); // true
 */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * The first bytes a gzip stream inflates to: at most 4 KiB of it are fed in, which inflate to at
 * most ~4 MiB (deflate expands at most ~1032:1, under the 8 MiB ceiling) and always to far more
 * than any header walloc reads. A cut stream yields what it has; an empty buffer means the 8 MiB
 * ceiling was hit. Other zlib errors (not gzip at all) are thrown as they are.
 *
 * @example
 * const head = inflateHead(readFileSync('brain.nii.gz')); // ≥ 348 header bytes
 */
export function inflateHead(bytes: Uint8Array): Buffer {
  try {
    return gunzipSync(bytes.subarray(0, Math.min(bytes.length, 1 << 12)), { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 1 << 23 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return Buffer.alloc(0);
    throw e;
  }
}
