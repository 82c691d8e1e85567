/**
 * `split`: ffmpeg's `split=N`, one input copied to N outputs with backpressure (filters/split.ts).
 * The graph builder inserts the same thing by itself when one label feeds several inputs.
 */
import { defineFilter, PAD_KINDS, type PadSpec } from './definition.js';
import { splitStreams } from './split.js';

export const splitFilter = defineFilter({
  name: 'split',
  description: 'send every frame to several outputs; the slowest output sets the pace',
  inputs: [{ name: 'default', kinds: PAD_KINDS }],
  outputs: (o): PadSpec[] => Array.from({ length: o.outputs }, (_, i) => ({ name: `output${i}`, kinds: PAD_KINDS, follows: 0 })),
  options: {
    outputs: { type: 'int', min: 1, max: 64, default: 2, help: 'number of outputs' },
  },
  details: 'Frames are shared, not copied. Each output buffers at most two frames; when one is full, split stops reading its input, so a slow branch throttles the graph instead of filling memory.',
  examples: ['split[a][b]', 'split=3[x][y][z]'],
  create: (o) => splitStreams(o.outputs),
});
