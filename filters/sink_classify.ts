/**
 * `classify`: a sink that runs a latent classifier on every frame and writes one JSON line per
 * frame, `{"pts": …, "label": "…", "score": …, "top": [[label, score], …]}` (src/classify/sink.ts),
 * to a file or stdout. Reads latents without decoding them: continuous latents from `analysis`,
 * quantized ones from `quantize` or `unpack`, or packed ones straight from a .wlc source.
 *
 * Without `model`, the classifier is the bundled one trained on the codec that made the first frame
 * (its meta names the codec; the graph's loaded model gives the checksum). A classifier trained on
 * another codec is refused with WALLOC_ERR_CLASSIFIER_CODEC.
 */
import { Writable } from 'node:stream';
import type { WlcHeader } from '../src/container/index.js';
import { werr } from '../src/errors.js';
import type { Frame } from '../src/frame.js';
import { Classifier } from '../src/classify/classifier.js';
import { classifierForHeader } from '../src/classify/model.js';
import { predictionLine } from '../src/classify/sink.js';
import { defineFilter, type OpenedSink } from './definition.js';

export const classifyFilter = defineFilter({
  name: 'classify',
  description: 'sink: classify latent frames without decoding them, one JSON line per frame (- is stdout)',
  inputs: [{ name: 'default', kinds: ['latent', 'qlatent', 'packed'] }],
  outputs: [],
  options: {
    file: { type: 'string', default: '-', aliases: ['f'], help: 'where the JSON lines go, - for stdout' },
    model: { type: 'string', aliases: ['m'], auto: 'the bundled classifier trained on the codec that made the frames', help: 'classifier (bundled name or folder)' },
    top: { type: 'int', min: 1, max: 1000, default: 3, help: 'classes listed in "top", best first' },
    threshold: { type: 'float', min: 0, max: 1, default: 0, help: 'minimum probability: below it "label" is null' },
  },
  details: 'Latent values are read as they are (companded, ±127 for 8 bits): int8 from quantize/unpack, or the unrounded analysis output.',
  examples: ['load=shirt.png,wpt=levels=3,analysis=model=rgb-16x-linear,quantize,classify', 'wpt,analysis=model=fmnist-gray-j2,quantize,classify=model=fmnist-latent-resnet:top=5:file=labels.jsonl'],
  create: (o, ctx) => {
    const out: OpenedSink = ctx.io.openOutput(o.file, { binary: false });
    let classifier: Promise<Classifier> | undefined;
    let index = 0;
    let committed = false;
    const load = (f: Frame): Promise<Classifier> => {
      const codec = typeof f.meta.model === 'string' ? ctx.findModel(f.meta.model) : undefined;
      const h: WlcHeader = { model: f.meta.model, ...(codec ? { modelSha256: codec.sha256 } : {}) };
      return (async () => {
        if (o.model === undefined && f.meta.model === undefined) throw werr('WALLOC_ERR_FILTER_OPTION', { filter: ctx.instance, reason: 'the frames do not name their codec: give model=CLASSIFIER' });
        // VQ-VAE tokens (vq, vqpack) are not codec latents: the classify command reads them.
        if (f.kind === 'tokens' || f.meta.extra?.tokensSha256 !== undefined) {
          throw werr('WALLOC_ERR_FILTER_OPTION', { filter: ctx.instance, reason: 'these are VQ-VAE tokens; the classify filter reads codec latents. Save them (vqpack,save=file=X.wlc) and run the classify command on the file, which picks the token classifier' });
        }
        const c = await Classifier.load(o.model ?? classifierForHeader(h));
        if (f.meta.model !== undefined) c.checkHeader(h);
        return c;
      })();
    };
    return new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(f: Frame, _enc, cb) {
        classifier ??= load(f);
        const pts = typeof f.meta.pts === 'number' ? f.meta.pts : index;
        index++;
        classifier
          .then((c) => c.classifyFrame(f, { top: o.top, threshold: o.threshold }))
          .then((p) => {
            if (out.stream.write(predictionLine(p, pts))) cb();
            else out.stream.once('drain', () => cb());
          })
          .catch((e: unknown) => cb(e as Error));
      },
      final(cb) {
        if (out.label !== '-') out.stream.end();
        out.commit().then(() => {
          committed = true;
          cb();
        }, (e: unknown) => cb(e as Error));
      },
      destroy(err, cb) {
        if (!committed) out.abort();
        classifier?.then((c) => c.dispose(), () => {});
        cb(err);
      },
    });
  },
});
