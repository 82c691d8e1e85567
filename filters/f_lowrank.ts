/** `lowrank`: the low-rank decoder (transforms/lowrank.ts) as a graph filter: tokens in, images out, no ML runtime. */
import { lowrank } from '../transforms/lowrank.js';
import { defineFilter } from './definition.js';

export const lowrankFilter = defineFilter({
  name: 'lowrank',
  description: 'low-rank decoder: each patch a sum of rank-R products generated from the tokens (table look-ups, no ML runtime)',
  inputs: [{ name: 'default', kinds: ['tokens'] }],
  outputs: [{ name: 'default', kinds: ['image'] }],
  options: {
    model: { type: 'string', required: true, aliases: ['m'], help: 'low-rank model folder from `walloc train lowrank` (or a bundled name)' },
  },
  details: 'The model holds the encoder and codebook of the VQ-VAE it was trained on and decodes that VQ-VAE\'s tokens; tokens of another codebook are refused.',
  examples: ['vqunpack,lowrank=model=lowrank-mnist-r2i2'],
  create: (o) => lowrank(o.model),
});
