import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGraph } from '../../filters/graph.js';
import { readWlcSync } from '../../src/container/index.js';
import { readImage } from '../../src/io/image.js';
import { smallVqModel } from '../src/vq/helpers.js';

t.test('vq, vqpack, vqunpack and unvq run as a filter graph through a .wlc file', async (t) => {
  const model = await smallVqModel(16, 2);
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vqgraph-'));
  const wlc = join(dir, 'photo.wlc');
  const png = join(dir, 'back.png');
  await runGraph(`load=fixtures/images/chelsea_128x96.png,format=gray,scale=28:28,vq=model=${model.dir},vqpack,save=${wlc}`);
  const { header, frames } = readWlcSync(readFileSync(wlc));
  t.equal(header.model, 'vq-test');
  t.equal(header.tokensSha256, model.config.tokensSha256, 'the header pins the codebook fingerprint, as vqHeader does');
  t.equal(header.codebook, 16);
  t.equal(frames.length, 1);
  t.equal(frames[0]!.kind, 'packed');
  t.ok(frames[0]!.data.length <= 1 + Math.ceil((49 * 4) / 8), '49 tokens of 4 bits');
  await runGraph(`load=${wlc},vqunpack,unvq=model=${model.dir},save=${png}`);
  const img = await readImage(png);
  t.same([img.shape[1], img.shape[2]], [28, 28]);
  // Kind checks happen when the graph is built, before any data flows.
  await t.rejects(runGraph(`load=fixtures/images/chelsea_128x96.png,vq=model=${model.dir},lowrank=model=${model.dir},vqpack,nullsink`), { code: 'WALLOC_ERR_GRAPH_KIND' });
  await t.rejects(runGraph(`load=fixtures/images/chelsea_128x96.png,vqpack,nullsink`), { code: 'WALLOC_ERR_FRAME_KIND' });
  await t.rejects(runGraph(`load=${wlc},vqunpack,unvq,nullsink`), { code: 'WALLOC_ERR_FILTER_OPTION' });
  await t.rejects(runGraph(`load=fixtures/images/chelsea_128x96.png,vq=model=${model.dir},nullsink`), { code: 'WALLOC_ERR_FRAME_SHAPE' });
});
