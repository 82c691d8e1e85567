/**
 * Small helpers that turn a per-frame function into a Node Transform stream with the conventions
 * every walloc stage shares: object mode, a low highWaterMark (frames can be tens of megabytes, so
 * the default of 16 objects would buffer hundreds of MB), backpressure honoured by calling back only
 * once the frame is done, and errors passed to the stream rather than thrown.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Frame } from './frame.js';

/** Frames buffered per side of a stage: enough to overlap I/O with compute, no more. */
export const FRAME_HIGH_WATER_MARK = 2;

export type FrameFn<I extends Frame = Frame, O extends Frame = Frame> = (frame: I) => O | Promise<O>;

/**
 * Wraps a frame function as an object-mode Transform stream.
 *
 * @example
 * const double = frameTransform((f: ImageFrame) => makeFrame('image', f.shape, f.data.map((v) => v * 2), f.meta));
 * await pipeline(source, double, sink);
 */
export function frameTransform<I extends Frame, O extends Frame>(fn: FrameFn<I, O>): Transform {
  return new Transform({
    objectMode: true,
    highWaterMark: FRAME_HIGH_WATER_MARK,
    transform(frame: I, _enc: BufferEncoding, cb: TransformCallback) {
      let out: O | Promise<O>;
      try {
        out = fn(frame);
      } catch (e) {
        cb(e as Error);
        return;
      }
      if (out instanceof Promise) out.then((v) => cb(null, v), (e: unknown) => cb(e as Error));
      else cb(null, out);
    },
  });
}
