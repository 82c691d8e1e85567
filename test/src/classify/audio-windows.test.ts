/**
 * Sliding windows over an audio latent stream: whatever the record sizes, the windows are the
 * same slices of the column sequence, start at sample 0, and memory stays bounded.
 */
import t from 'tap';
import fc from 'fast-check';
import { LatentWindower } from '../../../src/classify/audio-windows.js';

/** Planar [N, cols] for columns [first, first+cols) of a stream whose value at (c, k) is c*1000 + k. */
function record(N: number, first: number, cols: number): Float32Array {
  const a = new Float32Array(N * cols);
  for (let c = 0; c < N; c++) for (let k = 0; k < cols; k++) a[c * cols + k] = c * 1000 + first + k;
  return a;
}

t.test('windows are independent of how the stream is cut into records', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 20 }), (sizes, hop, window) => {
    const N = 3;
    const preroll = 2 * 256;
    const w = new LatentWindower({ channels: N, window, hop, samplesPerColumn: 256, preroll });
    let first = 0;
    const got: number[] = [];
    for (const cols of sizes) {
      for (const win of w.push(record(N, first, cols), cols, first)) {
        // NHWC: column j, channel c at j*N + c holds c*1000 + column.
        for (let j = 0; j < window; j++) for (let c = 0; c < N; c++) if (win.nhwc[j * N + c] !== c * 1000 + win.column + j) return false;
        if (win.sample !== win.column * 256 - preroll) return false;
        got.push(win.column);
      }
      first += cols;
    }
    const total = first;
    const want: number[] = [];
    for (let s = 2; s + window <= total; s += hop) want.push(s);
    return JSON.stringify(got) === JSON.stringify(want);
  }), { numRuns: 300 });
});

t.test('a gap or a repeat in the column sequence is a coded error; a wrong channel count too', async (t) => {
  const w = new LatentWindower({ channels: 2, window: 4, hop: 2, samplesPerColumn: 256, preroll: 0 });
  [...w.push(record(2, 0, 5), 5, 0)];
  t.throws(() => [...w.push(record(2, 7, 3), 3, 7)], { code: 'WALLOC_ERR_CONTAINER_SEQUENCE' });
  const v = new LatentWindower({ channels: 2, window: 4, hop: 2, samplesPerColumn: 256, preroll: 0 });
  t.throws(() => [...v.push(record(3, 0, 5), 5, 0)], { code: 'WALLOC_ERR_FRAME_SHAPE' });
});

t.test('memory is bounded by the window and the record, not the stream', async (t) => {
  const w = new LatentWindower({ channels: 4, window: 16, hop: 8, samplesPerColumn: 256, preroll: 0 });
  let n = 0;
  for (let k = 0; k < 5000; k++) n += [...w.push(record(4, k * 10, 10), 10, k * 10)].length;
  t.equal(n, Math.floor((50000 - 16) / 8) + 1);
  t.ok((w as unknown as { buf: Float32Array }).buf.length <= 2 * 16 * 4 + 10 * 4, 'the ring never grew past window + record');
});
