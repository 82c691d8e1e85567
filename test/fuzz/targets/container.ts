/** The .wlc container parser (src/container/parser.ts), strict and with skipCorrupt. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WlcParser, type WlcEvent } from '../../../src/container/index.js';
import { packageRoot } from '../../../src/paths.js';
import type { FuzzTarget } from '../harness.js';

const dir = join(packageRoot(), 'fixtures', 'container');
const seeds = readdirSync(dir).filter((f) => f.endsWith('.wlc')).sort().map((f) => new Uint8Array(readFileSync(join(dir, f))));

/** Feeds bytes in chunks of 1..13 bytes (size from the input's length), checks every frame. */
function parse(bytes: Uint8Array, skipCorrupt: boolean): { frames: number; corrupt: number } {
  const parser = new WlcParser({ skipCorrupt, maxRecordBytes: 1 << 20 });
  const step = 1 + (bytes.length % 13);
  let frames = 0;
  let corrupt = 0;
  let last = -1;
  const see = (ev: WlcEvent) => {
    if (ev.type === 'frame') {
      const f = ev.frame;
      if (f.data.length !== f.shape.reduce((a, d) => a * d, 1)) throw new Error('emitted a frame whose data does not match its shape');
      if (ev.record <= last) throw new Error(`record ${ev.record} after record ${last}`);
      last = ev.record;
      frames++;
    } else if (ev.type === 'corrupt') {
      const c = ev.corrupt;
      if (!(c.end > c.start) || (c.nextRecord !== undefined && c.nextRecord < c.record)) throw new Error(`bad corrupt event ${JSON.stringify(c)}`);
      corrupt++;
    }
  };
  for (let i = 0; i < bytes.length; i += step) for (const ev of parser.write(bytes.subarray(i, i + step))) see(ev);
  for (const ev of parser.finish()) see(ev);
  parser.end();
  return { frames, corrupt };
}

export const containerTarget: FuzzTarget<Uint8Array> = {
  name: 'container',
  input: 'bytes',
  seedCorpus: seeds,
  timeLimitMs: 2000,
  dictionary: [Buffer.from('WLOC'), Uint8Array.of(1, 0, 0, 0, 0), Uint8Array.of(3, 0, 0, 0, 0), Buffer.from('"shape":[')],
  run(bytes) {
    let strict: { frames: number } | undefined;
    try {
      strict = parse(bytes, false);
    } finally {
      // Skip mode must also end in frames or a coded error, whatever strict mode did.
      const skip = parse(bytes, true);
      // Differential: on a stream strict mode accepts, skip mode sees the same frames and no damage.
      if (strict !== undefined && (skip.frames !== strict.frames || skip.corrupt !== 0)) {
        throw new Error(`skipCorrupt disagrees with strict mode on a valid stream (${skip.frames}/${skip.corrupt} vs ${strict.frames})`);
      }
    }
  },
};
