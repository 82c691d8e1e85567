/** Input detection (src/io/detect.ts) and the input opener that peeks at the first bytes (src/io/input.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { detectInput } from '../../../src/io/detect.js';
import { openInput } from '../../../src/io/input.js';
import { packageRoot } from '../../../src/paths.js';
import type { FuzzTarget } from '../harness.js';

const KINDS = new Set(['wlc', 'y4m', 'png', 'jpeg', 'webp', 'gif', 'tiff', 'wav', 'audio', 'nifti', 'dicom', 'gzip', 'unknown']);
const root = packageRoot();
const files = [
  ...readdirSync(join(root, 'fixtures', 'images')).map((f) => join(root, 'fixtures', 'images', f)),
  join(root, 'fixtures', 'video', 'chelsea_pan_96x64.y4m'),
  join(root, 'fixtures', 'container', 'golden.wlc'),
];
const nifti = new Uint8Array(400);
nifti.set(Buffer.from('n+1\0', 'latin1'), 344);
const seeds: Uint8Array[] = [
  ...files.map((f) => new Uint8Array(readFileSync(f).subarray(0, 600))),
  nifti,
  new Uint8Array(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')),
  Uint8Array.of(0x1f, 0x8b, 8, 0),
  new Uint8Array(Buffer.from('GIF89a', 'latin1')),
  Uint8Array.of(0x49, 0x49, 0x2a, 0),
];

export const detectTarget: FuzzTarget<Uint8Array> = {
  name: 'detect',
  input: 'bytes',
  seedCorpus: seeds,
  timeLimitMs: 2000,
  async run(bytes) {
    const kind = detectInput(bytes);
    if (!KINDS.has(kind)) throw new Error(`unknown kind ${kind}`);
    // The opener reads up to DETECT_BYTES in whatever chunks arrive, then replays every byte.
    const step = 1 + (bytes.length % 97);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += step) chunks.push(Buffer.from(bytes.subarray(i, i + step)));
    const opened = await openInput('-', Readable.from(chunks));
    if (opened.kind !== kind) throw new Error('openInput and detectInput disagree');
    const all = await opened.readAll(1 << 20);
    if (!Buffer.from(bytes).equals(all)) throw new Error('openInput lost or changed bytes');
  },
};
