/**
 * The `classify` sink filter inside real graphs: latents straight from `analysis`/`quantize`, and
 * packed latents from a .wlc through `unpack`; a classifier for another codec is refused.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { wallocMain } from '../../../src/cli/walloc.js';
import { memoryIo } from '../../helpers/io.js';
import { Codec } from '../../../src/codec/codec.js';
import { writeWlc } from '../../../src/container/index.js';
import { readImage } from '../../../src/io/image.js';
import { colorFrame, FASHION_LABELS, hasFashionMnist, loadFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { listBundledClassifiers } from '../../../src/classify/model.js';
import { rng } from '../../../src/math/random.js';

const rgbClassifier = listBundledClassifiers().find((c) => c.config.codec?.name === 'rgb-16x-linear');
const skip = !hasFashionMnist() ? 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)' : !rgbClassifier ? 'no bundled classifier for rgb-16x-linear' : false;

t.test('classify in a filter graph: from pixels through analysis, and from a .wlc through unpack', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-classify-filter-'));
  const test = loadFashionMnist('test', { limit: 1 });
  const f = colorFrame(test, 0, [], rng(5));
  const rgb = Buffer.alloc(64 * 64 * 3);
  for (let p = 0; p < 4096; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round((f.data[c * 4096 + p]! + 0.5) * 255);
  const png = join(dir, 'g.png');
  await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(png);
  const a = join(dir, 'a.jsonl');
  let io = memoryIo();
  t.equal(await wallocMain(['filter', '-i', png, `wpt=levels=3,analysis=model=rgb-16x-linear,quantize,classify=file=${a}:top=2`], io), 0, io.err());
  const line = JSON.parse(readFileSync(a, 'utf8').trim()) as { pts: number; label: string; top: unknown[] };
  t.equal(line.top.length, 2);
  t.ok((FASHION_LABELS as readonly string[]).includes(line.label));

  const codec = Codec.load('rgb-16x-linear');
  const wlc = join(dir, 'g.wlc');
  writeFileSync(wlc, writeWlc(codec.header({ frames: 1 }), [await codec.encodeFrame(await readImage(png))]));
  const b = join(dir, 'b.jsonl');
  io = memoryIo();
  t.equal(await wallocMain(['filter', '-i', wlc, `unpack,classify=file=${b}:top=2`], io), 0, io.err());
  t.same(JSON.parse(readFileSync(b, 'utf8').trim()), line, 'same answer from the stream as from the pixels');

  io = memoryIo();
  const c = join(dir, 'c.jsonl');
  t.not(await wallocMain(['filter', '-i', png, `wpt=levels=3,analysis=model=rgb-16x-linear,quantize,classify=model=fmnist-latent-resnet:file=${c}`], io), 0);
  t.match(io.err(), /WALLOC_ERR_CLASSIFIER_CODEC/);
});
