/** The y4m demuxer (src/io/y4m.ts), whole-buffer and in small chunks, with small size limits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Y4mDecoder, readY4m, writeY4m } from '../../../src/io/y4m.js';
import { imageFromRgbBytes } from '../../../src/io/image.js';
import { packageRoot } from '../../../src/paths.js';
import type { FuzzTarget } from '../harness.js';

/** Limits for fuzzing: a header may promise at most 256×256, so one input allocates ≤ 3.2 MB. */
const LIMITS = { maxPixels: 65_536, maxSide: 4096 };

const clip = readFileSync(join(packageRoot(), 'fixtures', 'video', 'chelsea_pan_96x64.y4m'));
const headerEnd = clip.indexOf(0x0a) + 1;
const frameBytes = 6 + 96 * 64 * 1.5;
const rgb = (w: number, h: number) => Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) & 0xff);
const tiny = imageFromRgbBytes(rgb(6, 4), 6, 4, 3);
const grey = imageFromRgbBytes(rgb(5, 3).subarray(0, 15), 5, 3, 1);
const seeds: Uint8Array[] = [
  new Uint8Array(clip.subarray(0, headerEnd + 2 * frameBytes)),
  writeY4m([tiny, tiny], { chroma: '420' }),
  writeY4m([tiny], { chroma: '444' }),
  writeY4m([grey], {}),
  Buffer.from('YUV4MPEG2 W4 H2 F30000:1001 It A1:1 C422 XYSCSS=422\nFRAME\n' + 'A'.repeat(16)),
  Buffer.from('YUV4MPEG2 W3 H3 F25:1 C420paldv\nFRAME Ixyz\n' + 'B'.repeat(9 + 2 * 4)),
  Buffer.from('YUV4MPEG2 W4 H2 F25:1 C444alpha\nFRAME\n' + 'C'.repeat(32)),
  Buffer.from('YUV4MPEG2 W8 H2 F25:1 C411\nFRAME\n' + 'D'.repeat(16 + 2 * 4)),
].map((b) => new Uint8Array(b));

export const y4mTarget: FuzzTarget<Uint8Array> = {
  name: 'y4m',
  input: 'bytes',
  seedCorpus: seeds,
  timeLimitMs: 2000,
  dictionary: ['YUV4MPEG2 ', 'FRAME\n', ' W', ' H', ' F', ' C420jpeg', ' Cmono', ' C444alpha', ' Ip', ' A0:0', ' XCOLORRANGE=FULL', '\n'].map((s) => Buffer.from(s, 'latin1')),
  run(bytes) {
    const frames = readY4m(bytes, { limits: LIMITS });
    for (const f of frames) if (f.data.length !== f.shape.reduce((a, d) => a * d, 1) || f.shape[0] !== 3) throw new Error('malformed frame');
    // Same bytes in 7-byte chunks must give the same frames.
    const dec = new Y4mDecoder({ limits: LIMITS });
    let n = 0;
    for (let i = 0; i < bytes.length; i += 7) n += dec.write(bytes.subarray(i, i + 7)).length;
    dec.end();
    if (n !== frames.length) throw new Error(`chunked decode gave ${n} frames, whole-buffer ${frames.length}`);
  },
};
