/** `nullsink`: a sink that consumes and discards every frame (ffmpeg's `nullsink`), e.g. for benchmarks. */
import { Writable } from 'node:stream';
import { defineFilter, PAD_KINDS } from './definition.js';

export const nullsinkFilter = defineFilter({
  name: 'nullsink',
  description: 'sink: discard every frame',
  inputs: [{ name: 'default', kinds: PAD_KINDS }],
  outputs: [],
  options: {},
  examples: ['load=photo.png,wpt,nullsink'],
  create: () => new Writable({ objectMode: true, highWaterMark: 1, write: (_f, _e, cb) => cb() }),
});
