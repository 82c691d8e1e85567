/**
 * `synthesis`: a model's decoder (transforms/synthesis.ts) as a graph filter: dequantized latents
 * in, packet coefficients out. Linear decoders run in plain TypeScript; learned ones load
 * TensorFlow.js on the chosen backend.
 */
import { synthesis } from '../transforms/synthesis.js';
import { BACKENDS } from '../src/models/backend.js';
import { defineFilter } from './definition.js';

export const synthesisFilter = defineFilter({
  name: 'synthesis',
  description: "decoder: float latents back to packet coefficients with the model's decoder",
  inputs: [{ name: 'default', kinds: ['latent'] }],
  outputs: [{ name: 'default', kinds: ['coeffs'] }],
  options: {
    model: { type: 'model', required: true, help: 'codec model, such as rgb-16x' },
    backend: { type: 'enum', choices: BACKENDS, auto: 'the best available, or $WALLOC_BACKEND', help: 'TensorFlow.js backend for learned decoders' },
  },
  examples: ['unpack,dequantize,synthesis=model=rgb-16x,iwpt'],
  create: (o, ctx) => synthesis(ctx.loadModel(o.model), o.backend === undefined ? {} : { backend: o.backend }),
});
