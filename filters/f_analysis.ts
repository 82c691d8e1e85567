/**
 * `analysis`: WaLLoC's encoder (transforms/analysis.ts) as a graph filter, built from a model
 * folder: coefficients in, continuous companded latents out.
 */
import { Analysis, analysis } from '../transforms/analysis.js';
import { werr } from '../src/errors.js';
import type { Model } from '../src/models/model-file.js';
import { defineFilter } from './definition.js';

/**
 * The encoder of a model: `encoder.weight` [N, D], `encoder.bias` [N] and `encoder.scale` [N].
 * Latent frames it makes carry `meta.model` = the model's name, which is what a .wlc header records.
 *
 * @example
 * const enc = analysisFromModel(loadModel('rgb-16x'));
 * const latent = enc.encode(wptForward(image, { levels: 3 }));
 */
export function analysisFromModel(model: Model): Analysis {
  const c = model.config;
  const entry = c.tensors.find((t) => t.name === 'encoder.weight');
  const get = (name: string): Float32Array => {
    const w = model.weights.get(name);
    if (!w) throw werr('WALLOC_ERR_MODEL_INVALID', { model: c.name, reason: `tensor ${name} is missing` });
    return w;
  };
  if (!entry || entry.shape.length !== 2) throw werr('WALLOC_ERR_MODEL_INVALID', { model: c.name, reason: 'encoder.weight must be a [latentDim, inChannels] tensor' });
  const [latentDim, inChannels] = entry.shape as [number, number];
  return Analysis.fromConfig({
    weight: get('encoder.weight'), bias: get('encoder.bias'), scale: get('encoder.scale'),
    inChannels, latentDim, bits: c.bits, model: c.name,
  });
}

export const analysisFilter = defineFilter({
  name: 'analysis',
  description: 'encoder: 1×1 projection of packet coefficients onto latent channels, then Gaussian companding',
  inputs: [{ name: 'default', kinds: ['coeffs'] }],
  outputs: [{ name: 'default', kinds: ['latent'] }],
  options: {
    model: { type: 'model', required: true, help: 'codec model: a bundled name (rgb-16x) or a model folder' },
  },
  details: 'The coefficients must come from wpt with the levels and wavelet the model was trained with.',
  examples: ['wpt=levels=3,analysis=model=rgb-16x,quantize,pack'],
  create: (o, ctx) => analysis(analysisFromModel(ctx.loadModel(o.model))),
});
