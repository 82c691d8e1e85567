/**
 * Sliding windows over a chunked audio latent stream, for classifiers that read one window of
 * latent columns at a time (the spoken-words classifier reads 172 columns ≈ 1 s).
 *
 * A .wlc audio stream carries latent columns in records of any size (the encoder's `--latency`
 * decides: one record per chunk). The windower appends each record's columns to a ring of at most
 * `window + record` columns, already laid out as NHWC [1, 1, columns, N] (column-major, channels
 * fastest), and yields every complete window `hop` columns after the previous one. Memory is
 * bounded by the window and the largest record, never by the stream.
 *
 * Column k of the stream covers samples [k·H − P, (k+1)·H − P), with H the hop of the codec (2^J)
 * and P the stream's mirrored preroll (src/codec/audio-stream.ts); the first window starts at the
 * column of sample 0, so a window's `pts` is the index of its first sample.
 */
import { werr } from '../errors.js';

export interface LatentWindow {
  /** First stream column of the window. */
  column: number;
  /** First sample of the window (column·hop − preroll). */
  sample: number;
  /** NHWC [1, 1, window, channels] values, a view valid until the next push. */
  nhwc: Float32Array;
}

/**
 * Cuts a stream of latent records into overlapping windows.
 *
 * @example
 * const w = new LatentWindower({ channels: 108, window: 172, hop: 86, samplesPerColumn: 256, preroll: 1536 });
 * for (const win of w.push(int8Planar, columns, firstColumn)) classify(win.nhwc);
 */
export class LatentWindower {
  readonly channels: number;
  readonly window: number;
  readonly hop: number;
  readonly samplesPerColumn: number;
  private readonly preroll: number;
  private buf: Float32Array;
  /** Stream column of buf's first column, and how many columns buf holds. */
  private bufStart: number;
  private bufLen = 0;
  /** Stream column where the next window starts. */
  private nextWindow: number;
  private expected: number | undefined;

  constructor(o: { channels: number; window: number; hop: number; samplesPerColumn: number; preroll: number }) {
    if (!(o.window > 0 && o.hop > 0 && o.channels > 0)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `bad window ${o.window}/hop ${o.hop}` });
    this.channels = o.channels;
    this.window = o.window;
    this.hop = o.hop;
    this.samplesPerColumn = o.samplesPerColumn;
    this.preroll = o.preroll;
    this.nextWindow = Math.round(o.preroll / o.samplesPerColumn);
    this.bufStart = this.nextWindow;
    this.buf = new Float32Array(2 * o.window * o.channels);
  }

  /**
   * Appends one record's planar latents [channels, columns] starting at stream column `first`,
   * and yields the windows that are now complete, in order.
   */
  *push(planar: ArrayLike<number>, columns: number, first: number): Generator<LatentWindow> {
    const N = this.channels;
    if (planar.length !== N * columns) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `audio latents have ${planar.length / Math.max(1, columns)} channels per column; the classifier reads ${N}` });
    if (this.expected !== undefined && first !== this.expected) throw werr('WALLOC_ERR_CONTAINER_SEQUENCE', { record: `starting at column ${first}`, expected: `column ${this.expected}` });
    this.expected = first + columns;
    // Columns before the window start (the mirrored preroll) are not needed.
    let from = 0;
    if (first + columns <= this.bufStart + this.bufLen) return;
    if (first < this.bufStart + this.bufLen) from = this.bufStart + this.bufLen - first;
    const need = (this.bufLen + columns - from) * N;
    if (need > this.buf.length) {
      const grown = new Float32Array(Math.max(need, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, this.bufLen * N));
      this.buf = grown;
    }
    for (let k = from; k < columns; k++) {
      const o = (this.bufLen + k - from) * N;
      for (let c = 0; c < N; c++) this.buf[o + c] = planar[c * columns + k]!;
    }
    this.bufLen += columns - from;
    while (this.nextWindow + this.window <= this.bufStart + this.bufLen) {
      const at = (this.nextWindow - this.bufStart) * N;
      yield {
        column: this.nextWindow,
        sample: this.nextWindow * this.samplesPerColumn - this.preroll,
        nhwc: this.buf.subarray(at, at + this.window * N),
      };
      this.nextWindow += this.hop;
    }
    // Drop the columns no future window needs (bounded memory).
    const drop = Math.min(this.bufLen, this.nextWindow - this.bufStart);
    if (drop > 0) {
      this.buf.copyWithin(0, drop * N, this.bufLen * N);
      this.bufLen -= drop;
      this.bufStart += drop;
    }
  }
}
