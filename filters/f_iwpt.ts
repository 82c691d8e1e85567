/** `iwpt`: the inverse wavelet packet transform (transforms/wpt.ts) as a graph filter. */
import { iwpt } from '../transforms/wpt.js';
import { defineFilter, MEDIA_KINDS } from './definition.js';

export const iwptFilter = defineFilter({
  name: 'iwpt',
  description: 'inverse wavelet packet transform: packet coefficients back to image, audio or volume frames',
  inputs: [{ name: 'default', kinds: ['coeffs'] }],
  outputs: [{ name: 'default', kinds: MEDIA_KINDS }],
  options: {},
  details: 'Levels, wavelet, padding and the original shape are read from each frame, so iwpt takes no options.',
  examples: ['iwpt'],
  create: () => iwpt(),
});
