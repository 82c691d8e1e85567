/**
 * Rate–distortion and speed of a volume codec on NIfTI volumes (`walloc eval DIR --model
 * volume-mri`): per volume and overall, the compression ratio against 16-bit voxels (the .wlc
 * file, header included), PSNR over the whole volume with peak = 99.9th percentile − minimum of the
 * reference, SSIM per axial slice (mean, same peak as data range), and encode/decode throughput in
 * megavoxels per second. Optional peers measured in the same run:
 *
 * - `webp`: each slice as lossy WebP (libwebp through sharp), the slices mapped to 8 bits through
 *   the same window [min, p99.9] (8 bits is all WebP holds), one quality for all slices, the
 *   highest whose total bytes do not exceed walloc's;
 * - `gzip`: the raw voxels in their stored type through zlib level 6 (what a .nii.gz is): lossless.
 *
 * The reconstruction is scored as the file a user gets: voxels rounded to the stored integer type.
 */
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { Codec } from '../codec/codec.js';
import { decodeVolumeFrame, encodeVolumeFrame, volumeHeader } from '../codec/volume-codec.js';
import { writeWlc } from '../container/index.js';
import { werr } from '../errors.js';
import { readOrSkip, type OnSkip } from './skip.js';
import { ssimPlane } from '../metrics/ssim.js';
import { parseNifti } from '../io/nifti.js';
import { decodeVoxels, encodeVoxels, percentiles, VOXEL_TYPES, type Volume } from '../io/volume.js';
import { listVolumes } from '../train/volume-data.js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface VolumeQuality {
  bytes: number;
  /** 2·voxels / bytes: against 16-bit voxels, whatever the stored type. */
  ratio: number;
  psnr: number;
  ssim: number;
}

export interface VolumeScore extends VolumeQuality {
  file: string;
  shape: [number, number, number];
  spacing: [number, number, number];
  dtype: string;
  voxels: number;
  encodeMvoxPerS: number;
  decodeMvoxPerS: number;
  webp?: VolumeQuality & { quality: number };
  gzip?: { bytes: number; ratio: number };
}

export interface VolumeEvalSummary {
  name: string;
  description: string;
  volumes: number;
  megavoxels: number;
  /** Voxel-weighted ratio; PSNR and SSIM are means over volumes. */
  results: { ratio: number; psnr: number; ssim: number; encodeMvoxPerS: number; decodeMvoxPerS: number };
  webp?: { ratio: number; psnr: number; ssim: number };
  gzip?: { ratio: number };
  perVolume: VolumeScore[];
}

/** What a written file holds: integers rounded and clamped to the stored type (with its scaling). */
function asStored(data: Float32Array, vol: Volume): Float32Array {
  if (!Number.isFinite(VOXEL_TYPES[vol.dtype].min)) return data;
  const slope = vol.nifti?.sclSlope || 1, inter = vol.nifti?.sclSlope ? vol.nifti.sclInter : 0;
  return decodeVoxels(encodeVoxels(data, vol.dtype, slope, inter), vol.dtype, data.length, true, slope, inter);
}

/**
 * PSNR over a whole volume with peak = 99.9th percentile − minimum of the reference.
 *
 * @example
 * volumePsnr(ref.data, rec.data); // dB
 */
export function volumePsnr(ref: Float32Array, rec: Float32Array, peak?: number): number {
  const p = peak ?? volumePeak(ref);
  let se = 0, n = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ref[i]!, b = rec[i]!;
    if (a !== a) continue; // NaN voxels carry no data
    se += (a - b) ** 2;
    n++;
  }
  const mse = se / Math.max(1, n);
  return mse === 0 ? Infinity : 10 * Math.log10((p * p) / mse);
}

/**
 * The PSNR peak of a volume: 99.9th percentile − minimum (1 when that is 0).
 *
 * @example
 * volumePeak(parseNifti(bytes).data); // e.g. 235 for a uint8 T1 template
 */
export function volumePeak(ref: Float32Array): number {
  const [lo, hi] = percentiles(ref, [0, 99.9]) as [number, number];
  return hi > lo ? hi - lo : 1;
}

/**
 * Mean SSIM over the axial (D-axis) slices, Gaussian 11×11 window, data range = `peak`; slices
 * smaller than the window are skipped.
 *
 * @example
 * volumeSsim(ref.data, rec.data, [10, 128, 128], volumePeak(ref.data));
 */
export function volumeSsim(ref: Float32Array, rec: Float32Array, shape: readonly number[], peak: number): number {
  const [D, H, W] = shape as [number, number, number];
  if (H < 11 || W < 11) return NaN;
  let sum = 0;
  for (let z = 0; z < D; z++) {
    const reader = (src: Float32Array) => (y: number, out: Float64Array) => {
      const o = (z * H + y) * W;
      for (let x = 0; x < W; x++) { const v = src[o + x]!; out[x] = v === v ? v : 0; }
    };
    sum += ssimPlane(reader(ref), reader(rec), W, H, { dataRange: peak }).ssim;
  }
  return sum / D;
}

/** Per-slice lossy WebP at one quality: total bytes and the decoded volume (in intensities). */
async function webpSlices(vol: Volume, window: [number, number], quality: number): Promise<{ bytes: number; decoded: Float32Array }> {
  const [D, H, W] = vol.shape;
  const [lo, hi] = window;
  const k = 255 / (hi - lo);
  const slice = new Uint8Array(H * W);
  const decoded = new Float32Array(vol.data.length);
  let bytes = 0;
  for (let z = 0; z < D; z++) {
    for (let i = 0; i < H * W; i++) {
      const v = vol.data[z * H * W + i]!;
      slice[i] = v !== v ? 0 : Math.max(0, Math.min(255, Math.round((v - lo) * k)));
    }
    const webp = await sharp(slice, { raw: { width: W, height: H, channels: 1 } }).webp({ quality, effort: 4 }).toBuffer();
    bytes += webp.length;
    const { data } = await sharp(webp).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < H * W; i++) decoded[z * H * W + i] = data[i]! / k + lo;
  }
  return { bytes, decoded };
}

/**
 * Evaluates a volume codec on NIfTI files (a folder, searched recursively, or one file).
 *
 * @example
 * const r = await evalVolumes('data/volumes/eval', { model: 'volume-mri', compare: ['webp', 'gzip'] });
 * r.results.psnr; // mean dB
 */
export async function evalVolumes(path: string, opts: { model: string; compare?: Array<'webp' | 'gzip'>; backend?: string; limit?: number; onVolume?: (s: VolumeScore, i: number, n: number) => void; onSkip?: OnSkip }): Promise<VolumeEvalSummary> {
  const files = listVolumes(path).slice(0, opts.limit ?? Infinity);
  if (files.length === 0) throw werr('WALLOC_ERR_DATASET', { path, reason: 'no NIfTI volumes (.nii, .nii.gz)' });
  const codec = Codec.load(opts.model, { backend: opts.backend });
  if (codec.model.config.modality !== 'volume') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `model ${codec.model.config.name} codes ${codec.model.config.modality}, not volumes` });
  const scores: VolumeScore[] = [];
  try {
    for (const file of files) {
      const vol = await readOrSkip(file, () => parseNifti(readFileSync(file), { source: file }), opts.onSkip);
      if (!vol) continue;
      const voxels = vol.data.length;
      // Warm-up outside the timing: the first decode loads TensorFlow.js and builds the net.
      if (scores.length === 0) await decodeVolumeFrame(codec, await encodeVolumeFrame(codec, { ...vol, data: vol.data.subarray(0, Math.min(voxels, 16 * vol.shape[1] * vol.shape[2])), shape: [Math.min(16, vol.shape[0]), vol.shape[1], vol.shape[2]] }));
      let t = performance.now();
      const frame = await encodeVolumeFrame(codec, vol);
      const wlc = writeWlc(volumeHeader(codec, { spacing: vol.spacing, dtype: vol.dtype, ...(vol.nifti ? { nifti: vol.nifti } : {}), slab: 0 }, vol.shape, { source: basename(file) }), [frame]);
      const encS = (performance.now() - t) / 1000;
      t = performance.now();
      const dec = await decodeVolumeFrame(codec, frame);
      const decS = (performance.now() - t) / 1000;
      const rec = asStored(dec.data, vol);
      const peak = volumePeak(vol.data);
      const s: VolumeScore = {
        file, shape: vol.shape, spacing: vol.spacing, dtype: vol.dtype, voxels, bytes: wlc.length, ratio: (2 * voxels) / wlc.length,
        psnr: volumePsnr(vol.data, rec, peak), ssim: volumeSsim(vol.data, rec, vol.shape, peak),
        encodeMvoxPerS: voxels / 1e6 / encS, decodeMvoxPerS: voxels / 1e6 / decS,
      };
      if (opts.compare?.includes('webp')) {
        const window = percentiles(vol.data, [0, 99.9]) as [number, number];
        if (!(window[1] > window[0])) window[1] = window[0] + 1;
        // Highest quality whose bytes fit walloc's (bisection; sizes grow with quality but for noise).
        let lo = 1, hi = 100, best: { q: number; bytes: number; decoded: Float32Array } | undefined;
        while (lo <= hi) {
          const q = (lo + hi) >> 1;
          const r = await webpSlices(vol, window, q);
          if (r.bytes <= wlc.length) { best = { q, ...r }; lo = q + 1; } else hi = q - 1;
        }
        best ??= { q: 1, ...(await webpSlices(vol, window, 1)) };
        const wrec = asStored(best.decoded, vol);
        s.webp = { quality: best.q, bytes: best.bytes, ratio: (2 * voxels) / best.bytes, psnr: volumePsnr(vol.data, wrec, peak), ssim: volumeSsim(vol.data, wrec, vol.shape, peak) };
      }
      if (opts.compare?.includes('gzip')) {
        const g = gzipSync(encodeVoxels(vol.data, vol.dtype, vol.nifti?.sclSlope || 1, vol.nifti?.sclSlope ? vol.nifti.sclInter : 0), { level: 6 });
        s.gzip = { bytes: g.length, ratio: (2 * voxels) / g.length };
      }
      scores.push(s);
      opts.onVolume?.(s, scores.length - 1, files.length);
    }
  } finally {
    codec.dispose();
  }
  if (scores.length === 0) throw werr('WALLOC_ERR_DATASET', { path, reason: 'no readable volume' });
  const mean = (f: (s: VolumeScore) => number) => scores.reduce((a, s) => a + f(s), 0) / scores.length;
  const voxels = scores.reduce((a, s) => a + s.voxels, 0);
  const ratioOf = (bytes: number) => (2 * voxels) / bytes;
  const c = codec.model.config;
  return {
    name: codec.model.id, description: c.description, volumes: scores.length, megavoxels: voxels / 1e6,
    results: {
      ratio: ratioOf(scores.reduce((a, s) => a + s.bytes, 0)), psnr: mean((s) => s.psnr), ssim: mean((s) => s.ssim),
      encodeMvoxPerS: voxels / 1e6 / scores.reduce((a, s) => a + s.voxels / 1e6 / s.encodeMvoxPerS, 0),
      decodeMvoxPerS: voxels / 1e6 / scores.reduce((a, s) => a + s.voxels / 1e6 / s.decodeMvoxPerS, 0),
    },
    ...(scores[0]?.webp ? { webp: { ratio: ratioOf(scores.reduce((a, s) => a + s.webp!.bytes, 0)), psnr: mean((s) => s.webp!.psnr), ssim: mean((s) => s.webp!.ssim) } } : {}),
    ...(scores[0]?.gzip ? { gzip: { ratio: ratioOf(scores.reduce((a, s) => a + s.gzip!.bytes, 0)) } } : {}),
    perVolume: scores,
  };
}
