/** `dequantize`: b-bit integer latents back to floats for the decoder (transforms/quantize.ts). */
import { dequantize } from '../transforms/quantize.js';
import { defineFilter } from './definition.js';

export const dequantizeFilter = defineFilter({
  name: 'dequantize',
  description: 'b-bit integer latents back to float latents for synthesis',
  inputs: [{ name: 'default', kinds: ['qlatent'] }],
  outputs: [{ name: 'default', kinds: ['latent'] }],
  options: {
    bits: { type: 'int', min: 2, max: 8, auto: "the frame's bits, else 8", help: 'latent bits b' },
  },
  examples: ['dequantize'],
  create: (o) => dequantize(o.bits === undefined ? {} : { bits: o.bits }),
});
