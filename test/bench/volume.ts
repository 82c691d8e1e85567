/**
 * Volume codec benchmarks (issue 9), each with its peers measured in the same run:
 * 1. rate–distortion on held-out volumes: every bundled volume model (the linear floor
 *    `volume-mri-linear` and the trained `volume-mri`), per-slice lossy WebP at ≤ the same bytes
 *    as each, and gzip of the raw voxels (lossless, what a .nii.gz is);
 * 2. per volume, for the best bundled model: ratio, PSNR, SSIM, throughput, and WebP beside it;
 * 3. slab streaming: the same volumes encoded as one record and in slabs of 8/16/32 slices.
 *
 * Volumes: $WALLOC_VOLUME_DIR, else data/volumes/eval (docs/volumes.md says how it is made: never
 * trained on), else fixtures/volumes (a smoke run only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Codec } from '../../src/codec/codec.js';
import { assembleVolume, encodeSlabs, volumeHeader } from '../../src/codec/volume-codec.js';
import { writeWlc } from '../../src/container/index.js';
import { evalVolumes, volumePeak, volumePsnr } from '../../src/eval/volume-eval.js';
import { parseNifti } from '../../src/io/nifti.js';
import { listBundledModels } from '../../src/models/registry.js';
import { packageRoot } from '../../src/paths.js';
import { listVolumes } from '../../src/train/volume-data.js';
import type { BenchTable } from './table.js';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';
import { volumeToFrame, volumeWindow } from '../../src/io/volume.js';
import { wptForward } from '../../transforms/wpt.js';
import { quantizeFrame } from '../../transforms/quantize.js';
import { packLatents } from '../../transforms/pack.js';

function evalDir(): { dir: string; note: string } {
  if (process.env.WALLOC_VOLUME_DIR) return { dir: process.env.WALLOC_VOLUME_DIR, note: `volumes: ${process.env.WALLOC_VOLUME_DIR}` };
  const data = join(packageRoot(), 'data', 'volumes', 'eval');
  if (existsSync(data)) return { dir: data, note: 'volumes: data/volumes/eval, held out from training (docs/volumes.md)' };
  return { dir: join(packageRoot(), 'fixtures', 'volumes'), note: 'volumes: fixtures/volumes only (a smoke run; see docs/volumes.md for the held-out set)' };
}

const volumeModels = () => listBundledModels().filter((m) => m.modality === 'volume').map((m) => m.name).sort((a, b) => (a.endsWith('-linear') ? -1 : b.endsWith('-linear') ? 1 : a.localeCompare(b)));
/** Extra model folders to measure beside the bundled ones (e.g. another design point): $WALLOC_VOLUME_MODELS=dir1,dir2. */
const extraModels = () => (process.env.WALLOC_VOLUME_MODELS ?? '').split(',').filter(Boolean);
const dB = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));

export async function bench(): Promise<BenchTable[]> {
  const { dir, note } = evalDir();
  const rows: BenchTable['rows'] = [];
  let perVolume: BenchTable | undefined;
  let gzip: number | undefined;
  let count = 0, mvox = 0;
  for (const name of [...volumeModels(), ...extraModels()]) {
    const r = await evalVolumes(dir, { model: name, compare: ['webp', 'gzip'] });
    count = r.volumes;
    mvox = r.megavoxels;
    const m = r.results;
    const label = extraModels().includes(name) ? `${basename(name)} (extra)` : r.name.replace(/@.*/, '');
    rows.push([`${label} (${r.description.match(/to (\d+) channels/)?.[1] ?? codecChannels(name)} ch)`, `${m.ratio.toFixed(1)}:1`, dB(m.psnr), m.ssim.toFixed(3), m.encodeMvoxPerS, m.decodeMvoxPerS]);
    rows.push([`  per-slice lossy WebP at ≤ the same bytes`, `${r.webp!.ratio.toFixed(1)}:1`, dB(r.webp!.psnr), r.webp!.ssim.toFixed(3), '', '']);
    gzip ??= r.gzip?.ratio;
    if (extraModels().includes(name)) continue;
    perVolume = {
      title: `Per held-out volume: ${name} beside per-slice WebP at ≤ the same bytes`,
      columns: ['volume', 'D×H×W', 'spacing mm', 'type', 'ratio', 'PSNR dB', 'SSIM', 'WebP ratio', 'WebP PSNR', 'WebP SSIM', 'gzip ratio'],
      rows: r.perVolume.map((s) => [basename(s.file), s.shape.join('×'), s.spacing.map((x) => Number(x.toFixed(2))).join('×'), s.dtype, `${s.ratio.toFixed(1)}:1`, dB(s.psnr), s.ssim.toFixed(3),
        `${s.webp!.ratio.toFixed(1)}:1`, dB(s.webp!.psnr), s.webp!.ssim.toFixed(3), s.gzip ? `${s.gzip.ratio.toFixed(2)}:1` : '']),
      notes: [note],
    };
  }
  if (gzip !== undefined) rows.push(['gzip -6 of the raw voxels (lossless, a .nii.gz)', `${gzip.toFixed(2)}:1`, '∞', 1, '', '']);
  const rd: BenchTable = {
    title: `Rate–distortion on ${count} held-out volumes (${mvox.toFixed(2)} Mvoxels)`,
    columns: ['codec', 'ratio vs 16-bit (voxel-weighted)', 'PSNR dB (mean)', 'SSIM per slice (mean)', 'encode Mvox/s', 'decode Mvox/s'],
    rows,
    notes: [note, 'PSNR over the whole volume, peak = 99.9th percentile − minimum of the reference; reconstructions rounded to the stored voxel type. Ratio counts the whole .wlc (header included).',
      'WebP: each axial slice mapped to 8 bits by the same window, one quality for all slices, the highest whose total fits the codec\'s bytes.'],
  };
  return [rd, ...(perVolume ? [perVolume] : []), await slabs(dir, note), await coders(dir, note)];
}

/** The lossless coder of the int8 latent slices: WebP (efforts), PNG, and general-purpose coders. */
function codecChannels(name: string): number {
  const c = Codec.load(name);
  const n = c.model.config.latentDim;
  c.dispose();
  return n;
}

async function coders(dir: string, note: string): Promise<BenchTable> {
  const codec = Codec.load('volume-mri-linear');
  const c = codec.model.config;
  const latents: Array<{ q: Int8Array; shape: number[] }> = [];
  for (const f of listVolumes(dir)) {
    const vol = parseNifti(readFileSync(f), { source: f });
    const frame = volumeToFrame(vol, volumeWindow(vol.data));
    const q = quantizeFrame(codec.analysis.encode(wptForward(frame, { levels: c.levels, wavelet: c.wavelet })), { bits: c.bits, saturate: true });
    latents.push({ q: q.data as Int8Array, shape: [...q.shape] });
  }
  codec.dispose();
  const rows: BenchTable['rows'] = [];
  const values = latents.reduce((a, l) => a + l.q.length, 0);
  const run = async (name: string, f: (l: { q: Int8Array; shape: number[] }) => Promise<number> | number) => {
    const t0 = performance.now();
    let bytes = 0;
    for (const l of latents) bytes += await f(l);
    const s = (performance.now() - t0) / 1000;
    rows.push([name, bytes, (8 * bytes) / values, values / 1e6 / s]);
  };
  for (const effort of [1, 4, 6]) await run(`lossless WebP, effort ${effort}${effort === 1 ? ' (default)' : ''}`, async (l) => (await packLatents(l.q, l.shape, { format: 'webp', effort })).data.length);
  await run('PNG, zlib level 6', async (l) => (await packLatents(l.q, l.shape, { format: 'png' })).data.length);
  await run('gzip -6 of the int8 latents (no tiling)', (l) => gzipSync(l.q, { level: 6 }).length);
  await run('brotli q9 of the int8 latents (no tiling)', (l) => brotliCompressSync(l.q, { params: { [zc.BROTLI_PARAM_QUALITY]: 9 } }).length);
  return {
    title: 'Lossless coder for the int8 latent slices (volume-mri-linear, held-out volumes)',
    columns: ['coder', 'bytes', 'bits per latent value', 'Mvalues/s'],
    rows,
    notes: [note, `${(values / 1e6).toFixed(2)} M latent values (${c.latentDim} channels at 1/${8 ** c.levels} of the voxels).`],
  };
}

/** Whole volume vs slabs: what streaming with bounded memory costs in bytes and PSNR. */
async function slabs(dir: string, note: string): Promise<BenchTable> {
  const name = volumeModels().includes('volume-mri') ? 'volume-mri' : 'volume-mri-linear';
  const codec = Codec.load(name);
  const vols = listVolumes(dir).map((f) => parseNifti(readFileSync(f), { source: f }));
  const rows: BenchTable['rows'] = [];
  try {
    for (const slab of [0, 8, 16, 32]) {
      let bytes = 0, voxels = 0, psnr = 0, records = 0, seconds = 0;
      for (const vol of vols) {
        const [D, H, W] = vol.shape;
        const s = slab || D + (4 - (D % 4)) % 4;
        const t0 = performance.now();
        const frames = [];
        const slices = (async function* () { for (let z = 0; z < D; z++) yield { data: vol.data.subarray(z * H * W, (z + 1) * H * W), height: H, width: W, dtype: vol.dtype }; })();
        for await (const f of encodeSlabs(codec, slices, { slab: Math.max(4, s), spacing: vol.spacing })) frames.push(f);
        seconds += (performance.now() - t0) / 1000;
        const header = volumeHeader(codec, { spacing: vol.spacing, dtype: vol.dtype, slab: s }, vol.shape);
        bytes += writeWlc(header, frames).length;
        records += frames.length;
        voxels += vol.data.length;
        const back = await assembleVolume(codec, header, (async function* () { yield* frames; })());
        psnr += volumePsnr(vol.data, back.data, volumePeak(vol.data));
      }
      rows.push([slab ? `slabs of ${slab} slices` : 'whole volume (one record)', records, `${((2 * voxels) / bytes).toFixed(1)}:1`, dB(psnr / vols.length), voxels / 1e6 / seconds]);
    }
  } finally {
    codec.dispose();
  }
  return {
    title: `Slab streaming with ${name}: ${vols.length} held-out volumes`,
    columns: ['records', 'count', 'ratio vs 16-bit', 'PSNR dB (mean)', 'encode Mvox/s'],
    rows,
    notes: [note, 'Each slab is its own record with its own window; memory holds one slab. Thin slabs cost bytes and PSNR at their borders (the wavelet wraps within a slab).'],
  };
}
