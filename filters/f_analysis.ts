/**
 * `analysis`: WaLLoC's encoder (transforms/analysis.ts) as a graph filter, built from a model
 * folder: coefficients in, continuous companded latents out.
 */
import { analysisFromModel } from '../transforms/analysis.js';
import { werr } from '../src/errors.js';
import type { Frame } from '../src/frame.js';
import type { ModelConfig } from '../src/models/model-file.js';
import { frameTransform } from '../src/streams.js';
import { defineFilter } from './definition.js';

export { analysisFromModel };


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
    model: { type: 'model', required: true, help: 'codec model, such as rgb-16x' },
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
