/**
 * `wpt`: the forward wavelet packet transform (transforms/wpt.ts) as a graph filter.
 * Media frames in, wavelet packet coefficients out.
 */
import { wpt } from '../transforms/wpt.js';
import { WAVELETS } from '../src/wavelets/filters.js';
import { defineFilter, MEDIA_KINDS } from './definition.js';

export const wptFilter = defineFilter({
  name: 'wpt',
  description: 'wavelet packet transform: image, audio or volume frames to packet coefficients',
  inputs: [{ name: 'default', kinds: MEDIA_KINDS }],
  outputs: [{ name: 'default', kinds: ['coeffs'] }],
  options: {
    levels: { type: 'int', min: 1, max: 12, aliases: ['J'], auto: '3 for images and volumes, 8 for audio', help: 'packet levels J' },
    wavelet: { type: 'enum', choices: WAVELETS, default: 'bior4.4', help: 'wavelet filter bank (bior4.4 is CDF 9/7, as WaLLoC)' },
  },
  details: 'Inputs are reflect-padded to a multiple of 2^J; the padding and original shape travel in the frame so that iwpt restores them exactly.',
  examples: ['wpt=levels=3', 'wpt=2:haar'],
  create: (o) => wpt(o.levels === undefined ? { wavelet: o.wavelet } : { levels: o.levels, wavelet: o.wavelet }),
});
