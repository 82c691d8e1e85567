/**
 * Volumes in filter graphs: `load` reads a NIfTI volume, the codec stages run in 3-D, `save`
 * writes a .wlc that walloc-decode understands and, from decoded frames, a NIfTI volume.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGraph } from '../../filters/graph.js';
import { readWlcSync } from '../../src/container/index.js';
import { parseNifti } from '../../src/io/nifti.js';
import { volumePsnr } from '../../src/eval/volume-eval.js';
import { packageRoot } from '../../src/paths.js';

const NII = join(packageRoot(), 'fixtures', 'volumes', 'ch2-crop.nii.gz');
const M = 'volume-mri-linear';

t.test('load=x.nii.gz → 3-D codec stages → .wlc → decode stages → save=y.nii.gz', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vgraph-'));
  const wlc = join(dir, 'v.wlc');
  const out = join(dir, 'back.nii.gz');
  await runGraph(`load=${NII},wpt=levels=2,analysis=model=${M},quantize,pack,save=${wlc}`);
  const { header, frames } = readWlcSync(readFileSync(wlc));
  t.equal(header.modality, 'volume');
  t.equal(frames.length, 1);
  t.equal(frames[0]!.kind, 'packed');
  await runGraph(`load=${wlc},unpack,dequantize,synthesis=model=${M},iwpt,save=${out}`);
  const src = parseNifti(readFileSync(NII));
  const back = parseNifti(readFileSync(out));
  t.same(back.shape, src.shape);
  t.same(back.spacing, src.spacing, 'spacing rides in the frames');
  const p = volumePsnr(src.data, back.data);
  t.ok(p > 20, `PSNR ${p.toFixed(2)} dB`);
  t.same(readdirSync(dir).sort(), ['back.nii.gz', 'v.wlc']);
});

t.test('save=x.nii refuses frames that are not volumes, leaving no file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vgraph-bad-'));
  const png = join(packageRoot(), 'fixtures', 'images', 'chelsea_128x96.png');
  await t.rejects(runGraph(`load=${png},save=${join(dir, 'x.nii')}`), { code: 'WALLOC_ERR_FRAME_KIND' });
  t.same(readdirSync(dir), []);
});
