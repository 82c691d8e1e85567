/**
 * `analysis`: WaLLoC's encoder (transforms/analysis.ts) as a graph filter, built from a model
 * folder: coefficients in, continuous companded latents out.
 */
import { Analysis } from '../transforms/analysis.js';
import { werr } from '../src/errors.js';
import type { Frame } from '../src/frame.js';
import type { Model, ModelConfig } from '../src/models/model-file.js';
import { frameTransform } from '../src/streams.js';
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

/**
 * Says in a model's terms why a coeffs frame is not what its encoder was trained on (another media
 * kind, other wpt levels or wavelet, another channel count), so that a hand-built chain fails with
 * the option to change rather than with a channel count. The walloc-encode path builds its wpt
 * from the model and never meets this; graphs do. Frames without the meta pass through to the
 * encoder's own shape check.
 *
 * @example
 * checkCoeffsForModel(loadModel('rgb-16x').config, wptForward(image, { levels: 2 }));
 * // WALLOC_ERR_MODEL_INPUT: model "rgb-16x" cannot encode these frames: it needs wpt=levels=3 …
 */
export function checkCoeffsForModel(c: ModelConfig, f: Frame): void {
  const m = f.meta;
  const fail = (reason: string) => werr('WALLOC_ERR_MODEL_INPUT', { model: c.name, reason });
  if (f.kind !== 'coeffs') return;
  const noun = (k: string) => (k === 'audio' ? 'audio' : `${k}s`);
  if (m.source !== undefined && m.source !== c.modality) {
    throw fail(`it codes ${noun(c.modality)}, these coefficients come from ${noun(m.source)} (\`walloc models\` lists the codecs of each kind)`);
  }
  if (m.levels !== undefined && m.levels !== c.levels) throw fail(`it needs wpt=levels=${c.levels}, these coefficients have levels=${m.levels}`);
  if (m.wavelet !== undefined && m.wavelet !== c.wavelet) throw fail(`it needs wpt=wavelet=${c.wavelet}, these coefficients use ${m.wavelet}`);
  const channels = m.sourceShape?.[0];
  if (channels !== undefined && channels !== c.channels) {
    const fix = c.modality === 'image' ? ` (add format=${c.channels === 1 ? 'gray' : 'rgb'} before wpt)` : '';
    throw fail(`it codes ${c.channels}-channel ${noun(c.modality)}, this ${c.modality} has ${channels}${fix}`);
  }
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
  create: (o, ctx) => {
    const model = ctx.loadModel(o.model);
    const enc = analysisFromModel(model);
    return frameTransform((f: Frame) => {
      checkCoeffsForModel(model.config, f);
      return enc.encode(f);
    });
  },
});
