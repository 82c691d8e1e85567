/** `unpack`: decode packed WebP/PNG latents back to quantized latents (transforms/pack.ts). */
import { unpack } from '../transforms/pack.js';
import { defineFilter } from './definition.js';

export const unpackFilter = defineFilter({
  name: 'unpack',
  description: 'decode packed WebP or PNG latents back to quantized latents, bit-exact',
  inputs: [{ name: 'default', kinds: ['packed'] }],
  outputs: [{ name: 'default', kinds: ['qlatent'] }],
  options: {},
  details: 'The layout (shape, bits, planes, tiles, row width) is read from each packed frame.',
  examples: ['unpack'],
  create: () => unpack(),
});
