/** Image reading through sharp (src/io/image.ts readImage: metadata, limit check, decode), with small limits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { readImage } from '../../../src/io/image.js';
import { packageRoot } from '../../../src/paths.js';
import type { FuzzTarget } from '../harness.js';

/** At most 512×512 decoded, so one input costs ≤ 3 MB however big its header claims to be. */
const LIMITS = { maxPixels: 512 * 512, maxSide: 4096 };

const img = (name: string) => new Uint8Array(readFileSync(join(packageRoot(), 'fixtures', 'images', name)));
const raw = Buffer.from(Uint8Array.from({ length: 8 * 6 * 3 }, (_, i) => (i * 53) & 0xff));
const small = () => sharp(raw, { raw: { width: 8, height: 6, channels: 3 } });
const seeds: Uint8Array[] = [
  img('chelsea_128x96.png'), img('not-an-image.png'), img('truncated.png'),
  ...(await Promise.all([
    small().png().toBuffer(), small().jpeg().toBuffer(), small().webp({ lossless: true }).toBuffer(), small().webp().toBuffer(),
    small().gif().toBuffer(), small().tiff().toBuffer(), small().ensureAlpha(0.5).png().toBuffer(), small().toColourspace('b-w').png().toBuffer(),
  ])).map((b) => new Uint8Array(b)),
];

export const imageTarget: FuzzTarget<Uint8Array> = {
  name: 'image',
  input: 'bytes',
  seedCorpus: seeds,
  timeLimitMs: 5000,
  dictionary: ['IHDR', 'IDAT', 'IEND', 'RIFF', 'VP8L', 'VP8X', 'GIF89a', 'II*\0', 'Exif'].map((s) => Buffer.from(s, 'latin1')),
  async run(bytes) {
    const f = await readImage(bytes, LIMITS);
    if (f.shape[0] !== 3 || f.data.length !== f.shape[0] * f.shape[1]! * f.shape[2]!) throw new Error('malformed image frame');
    if (f.shape[1]! * f.shape[2]! > LIMITS.maxPixels) throw new Error('decoded past the pixel limit');
  },
};
