/**
 * The classify sink: latent frames in, one JSON line per frame out,
 * `{"pts": …, "label": "…", "score": …, "top": [[label, score], …]}`.
 *
 * - `pts` is the frame's presentation index (its meta.pts), else its position in the stream.
 * - `score` is the softmax probability of the best class; `top` lists the K best, best first.
 * - With a threshold, `label` is null when the best score is below it, and `top` keeps only the
 *   classes at or above it (the best one always stays, so the line says what was closest).
 *
 * Frames are classified one at a time, in order, so a line is written as soon as its frame is
 * complete: on a live pipe the output follows the input frame by frame.
 */
import { Writable } from 'node:stream';
import { isWlcMeta } from '../container/index.js';
import type { Frame } from '../frame.js';
import type { Classifier, Prediction } from './classifier.js';

export interface ClassifyOptions {
  /** Classes listed in `top` (default 3). */
  top?: number;
  /** Minimum probability for a label (default 0). */
  threshold?: number;
}

/** The JSON line (with its newline) for one frame's prediction; `source` names the file it came from in a dataset archive. */
export function predictionLine(p: Prediction, pts: number, source?: string, extra?: Record<string, number>): string {
  return JSON.stringify({ pts, ...(source === undefined ? {} : { source }), label: p.label, score: p.score, top: p.top, ...extra }) + '\n';
}

/**
 * A Writable (object mode) that classifies each frame and hands its JSON line to `write`, which may
 * return a promise (backpressure: the next frame waits for it).
 *
 * @example
 * await pipeline(reader, classifySink(classifier, { top: 3 }, (line) => process.stdout.write(line)));
 */
export function classifySink(classifier: Classifier, opts: ClassifyOptions, write: (line: string) => unknown): Writable {
  let index = 0;
  return new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(item: Frame, _enc, cb) {
      if (isWlcMeta(item)) return cb();
      const pts = typeof item.meta?.pts === 'number' ? item.meta.pts : index;
      index++;
      classifier.classifyFrame(item, opts)
        .then((p) => write(predictionLine(p, pts)))
        .then(() => cb(), cb);
    },
  });
}
