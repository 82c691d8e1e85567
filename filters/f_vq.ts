/**
 * `vq`, `unvq`, `vqpack`, `vqunpack`: the vector-quantizer stages of the VQ-VAE family
 * (transforms/vq.ts) as graph filters. `vq` turns 28×28 grey images into 7×7 codebook tokens with a
 * VQ-VAE model, `unvq` decodes tokens back with the model's decoder, and `vqpack` / `vqunpack` store
 * tokens in ⌈log2 K⌉ bits each, bit-exact.
 */
import { vq, unvq, vqpack, vqunpack } from '../transforms/vq.js';
import { BACKENDS } from '../src/models/backend.js';
import { defineFilter } from './definition.js';

const MODEL_HELP = 'VQ-VAE model: a bundled name (vqvae-mnist-k128) or a model folder from `walloc train vqvae`';

export const vqFilter = defineFilter({
  name: 'vq',
  description: 'encoder and vector quantizer of a VQ-VAE: 28×28 grey images to 7×7 codebook tokens',
  inputs: [{ name: 'default', kinds: ['image'] }],
  outputs: [{ name: 'default', kinds: ['tokens'] }],
  options: {
    model: { type: 'string', required: true, aliases: ['m'], help: MODEL_HELP },
    backend: { type: 'enum', choices: BACKENDS, auto: 'the best available, or $WALLOC_BACKEND', help: 'TensorFlow.js backend for the encoder' },
  },
  details: 'Each token is the index of the nearest codebook entry (L2) to one 64-dimensional latent vector; images must be [1, 28, 28] grey (format=gray,scale=28:28 first).',
  examples: ['format=gray,scale=28:28,vq=model=vqvae-mnist-k128,vqpack', 'vq=vqvae-fmnist-k128,unvq=vqvae-fmnist-k128'],
  create: (o) => vq(o.model, o.backend === undefined ? {} : { backend: o.backend }),
});

export const unvqFilter = defineFilter({
  name: 'unvq',
  description: "codebook lookup and the VQ-VAE's decoder: tokens back to images",
  inputs: [{ name: 'default', kinds: ['tokens'] }],
  outputs: [{ name: 'default', kinds: ['image'] }],
  options: {
    model: { type: 'string', required: true, aliases: ['m'], help: `${MODEL_HELP} (or a low-rank model)` },
    backend: { type: 'enum', choices: BACKENDS, auto: 'the best available, or $WALLOC_BACKEND', help: 'TensorFlow.js backend for the decoder' },
  },
  details: 'Tokens of another codebook (another model\'s tokensSha256) or a token ≥ K are refused with a coded error.',
  examples: ['vqunpack,unvq=model=vqvae-mnist-k128'],
  create: (o) => unvq(o.model, o.backend === undefined ? {} : { backend: o.backend }),
});

export const vqpackFilter = defineFilter({
  name: 'vqpack',
  description: 'pack codebook tokens into ⌈log2 K⌉ bits each (deflated when smaller)',
  inputs: [{ name: 'default', kinds: ['tokens'] }],
  outputs: [{ name: 'default', kinds: ['packed'] }],
  options: {
    codebook: { type: 'int', min: 2, max: 65536, auto: "the frame's codebook size (set by vq)", help: 'codebook size K' },
  },
  details: 'Lossless: vqunpack returns exactly the tokens that were packed.',
  examples: ['vq=model=vqvae-mnist-k128,vqpack'],
  create: (o) => vqpack(o.codebook === undefined ? {} : { codebook: o.codebook }),
});

export const vqunpackFilter = defineFilter({
  name: 'vqunpack',
  description: 'unpack bit-packed codebook tokens, bit-exact',
  inputs: [{ name: 'default', kinds: ['packed'] }],
  outputs: [{ name: 'default', kinds: ['tokens'] }],
  options: {},
  details: 'A truncated body or a token ≥ K is a coded error (WALLOC_ERR_VQ_STREAM, WALLOC_ERR_VQ_TOKEN).',
  examples: ['vqunpack,unvq=model=vqvae-mnist-k128'],
  create: () => vqunpack(),
});
