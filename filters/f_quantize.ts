/** `quantize`: rounding of companded latents to b-bit integers (transforms/quantize.ts). */
import { quantize } from '../transforms/quantize.js';
import { defineFilter } from './definition.js';

export const quantizeFilter = defineFilter({
  name: 'quantize',
  description: 'round companded latents half to even into b-bit integers',
  inputs: [{ name: 'default', kinds: ['latent'] }],
  outputs: [{ name: 'default', kinds: ['qlatent'] }],
  options: {
    bits: { type: 'int', min: 2, max: 8, auto: "the frame's bits (set by analysis), else 8", help: 'latent bits b' },
    saturate: { type: 'bool', default: false, help: 'clamp values that round outside ±(2^(b−1)−1) instead of failing' },
  },
  examples: ['quantize', 'quantize=bits=6:saturate=1'],
  create: (o) => quantize(o.bits === undefined ? { saturate: o.saturate } : { bits: o.bits, saturate: o.saturate }),
});
