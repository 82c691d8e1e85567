/**
 * Fan-out with backpressure: one writable input, N readable outputs, every frame delivered to
 * every output. The graph builder inserts it wherever one output pad feeds several inputs, and the
 * `split` filter (f_split.ts) exposes it by name, as ffmpeg's `split=N`.
 *
 * Why not `readable.pipe()` to several destinations: pipe does honour the slowest destination, but
 * a Transform feeding two pipes still buffers per destination without a shared limit, and an
 * error in one branch leaves the others hanging. Here the rule is explicit: a frame is accepted
 * from upstream only once every branch has room for it (its buffer is below its highWaterMark),
 * so the slowest branch throttles the whole graph, and no branch ever holds more than
 * `highWaterMark` frames. Destroying any side destroys all of them.
 *
 * Frames are shared by reference, not copied: walloc stages never modify an input frame (each
 * makes a new one), so two branches may safely read the same data.
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';
import { FRAME_HIGH_WATER_MARK } from '../src/streams.js';
import { werr } from '../src/errors.js';
import type { FilterStreams } from './definition.js';

export interface SplitOptions {
  /** Frames buffered per output before the input stops accepting (default FRAME_HIGH_WATER_MARK). */
  highWaterMark?: number;
}

/** The split streams, with the buffered frame count per branch for tests and diagnostics. */
export interface SplitStreams extends FilterStreams {
  input: Writable;
  /** Frames waiting in each output's buffer right now. */
  buffered(): number[];
}

/**
 * Makes a 1→n fan-out. Write frames to `input` (or pipe into it); read each of `outputs`.
 *
 * @example
 * const { input, outputs: [a, b] } = splitStreams(2);
 * await Promise.all([pipeline(source, input), pipeline(a, packSink), pipeline(b, classifySink)]);
 */
export function splitStreams(n: number, options: SplitOptions = {}): SplitStreams {
  if (!Number.isInteger(n) || n < 1) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `split needs a positive integer number of outputs, got ${n}` });
  const hwm = options.highWaterMark ?? FRAME_HIGH_WATER_MARK;
  let pending: (() => void) | undefined;
  let ended = false;

  /** True when every live output can take one more frame. */
  const roomEverywhere = (): boolean =>
    outputs.every((o) => o.destroyed || o.readableEnded || o.readableLength < o.readableHighWaterMark);
  const wake = (): void => {
    if (pending && roomEverywhere()) {
      const cb = pending;
      pending = undefined;
      cb();
    }
  };
  // Peers are destroyed without an error: each sits in a pipeline that reports the premature
  // close, while the error itself is reported once, by the stream it happened on.
  const destroyAll = (): void => {
    if (!input.destroyed) input.destroy();
    for (const o of outputs) if (!o.destroyed) o.destroy();
  };

  const outputs: Readable[] = Array.from({ length: n }, () => new Readable({
    objectMode: true,
    highWaterMark: hwm,
    // Readable calls _read *before* it takes the frame being read out of the buffer, so the room
    // check must wait a tick, or a full branch would look full forever (and never be asked again).
    read: () => process.nextTick(wake),
    destroy(err, cb) {
      // A branch that goes away before the end would otherwise stall the others forever.
      cb(err);
      if (err || !this.readableEnded) queueMicrotask(destroyAll);
    },
  }));

  const input = new Writable({
    objectMode: true,
    // One frame in hand: the branches' own buffers are where frames wait.
    highWaterMark: 1,
    write(frame: unknown, _enc, cb) {
      for (const o of outputs) if (!o.destroyed && !o.readableEnded) o.push(frame);
      if (roomEverywhere()) cb();
      else pending = () => cb();
    },
    final(cb) {
      ended = true;
      for (const o of outputs) if (!o.destroyed) o.push(null);
      cb();
    },
    destroy(err, cb) {
      pending = undefined;
      cb(err);
      // After a normal end (autoDestroy) the outputs still drain what they hold; before it, the
      // upstream was torn down and the branches must not wait for frames that will never come.
      if (err || !ended) queueMicrotask(destroyAll);
    },
  });

  return {
    input,
    inputs: [input],
    outputs,
    buffered: () => outputs.map((o) => o.readableLength),
  };
}
