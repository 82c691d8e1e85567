/**
 * Training and validation data for volume codecs: every NIfTI file under a folder (4-D files split
 * into their 3-D volumes), each normalised by the codec's window rule (minimum to 99.9th
 * percentile by default) to [-0.5, 0.5], and random cubic crops of them.
 *
 * Volumes thinner than a crop along an axis (clinical scans of 10–30 thick slices) are
 * reflect-padded once at load, so every crop has the same shape and thin scans still contribute.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { werr, isWallocError } from '../errors.js';
import { makeFrame, type VolumeFrame } from '../frame.js';
import { parseNifti } from '../io/nifti.js';
import { DEFAULT_WINDOW, volumeToFrame, volumeWindow, type Volume, type WindowRule } from '../io/volume.js';
import { padFor, padReflect } from '../wavelets/pad.js';

/** A normalised training volume. */
export interface TrainVolume {
  name: string;
  /** [D, H, W] after any padding for crops. */
  shape: [number, number, number];
  /** Normalised values in [-0.5, 0.5] (more above the 99.9th percentile). */
  data: Float32Array;
  /** The source volume's window [lo, hi] and its voxel count before padding. */
  window: [number, number];
  voxels: number;
}

const NIFTI_FILE = /\.nii(\.gz)?$/i;

/**
 * NIfTI files under a folder (recursively), or the file itself; sorted.
 *
 * @example
 * listVolumes('data/volumes/train'); // ['…/ch2.nii.gz', …]
 */
export function listVolumes(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw werr('WALLOC_ERR_DATASET', { path, reason: 'no such file or folder' });
  }
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...listVolumes(p));
    else if (NIFTI_FILE.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Reads every 3-D volume of a file (one, or each time point of a 4-D file).
 *
 * @example
 * readVolumes('example4d.nii.gz'); // two volumes
 */
export function readVolumes(path: string): Volume[] {
  const bytes = readFileSync(path);
  try {
    return [parseNifti(bytes, { source: path })];
  } catch (e) {
    if (!isWallocError(e, 'WALLOC_ERR_VOLUME_DIMS') || !/holds (\d+) volumes/.test(String(e.details.reason))) throw e;
    const n = Number(/holds (\d+) volumes/.exec(String(e.details.reason))![1]);
    return Array.from({ length: n }, (_, i) => parseNifti(bytes, { source: path, volumeIndex: i }));
  }
}

/**
 * Loads and normalises the volumes of a folder; those smaller than `minVoxels` are skipped (a
 * 6×10×10 diffusion sample teaches nothing), thin axes are reflect-padded up to `crop`.
 *
 * @example
 * const vols = loadTrainVolumes('data/volumes/train', { crop: 32 });
 */
export function loadTrainVolumes(path: string, opts: { crop?: number; rule?: WindowRule; minVoxels?: number; onSkip?: (path: string, reason: string) => void } = {}): TrainVolume[] {
  const out: TrainVolume[] = [];
  for (const file of listVolumes(path)) {
    let vols: Volume[];
    try {
      vols = readVolumes(file);
    } catch (e) {
      opts.onSkip?.(file, (e as Error).message);
      continue;
    }
    vols.forEach((v, i) => {
      const voxels = v.data.length;
      if (voxels < (opts.minVoxels ?? 16_384)) {
        opts.onSkip?.(file, `only ${voxels} voxels`);
        return;
      }
      const window = volumeWindow(v.data, opts.rule ?? DEFAULT_WINDOW);
      const f = volumeToFrame(v, window);
      let shape: [number, number, number] = [...v.shape];
      let data = f.data;
      if (opts.crop !== undefined && shape.some((d) => d < opts.crop!)) {
        const pads = shape.map((d) => (d < opts.crop! ? padFor(d, opts.crop!) : [0, 0] as [number, number]));
        const p = padReflect(data, shape, pads);
        data = p.data;
        shape = p.shape as [number, number, number];
      }
      out.push({ name: vols.length > 1 ? `${file}#${i}` : file, shape, data, window, voxels });
    });
  }
  if (out.length === 0) throw werr('WALLOC_ERR_DATASET', { path, reason: 'no readable NIfTI volumes' });
  return out;
}

/**
 * A random crop of `size`³ voxels from a random volume (volumes drawn in proportion to their
 * voxel count, so one large scan is not outweighed by many tiny ones).
 *
 * @example
 * const crop = randomVolumeCrop(vols, 32, rng(1)); // volume frame [1, 32, 32, 32]
 */
export function randomVolumeCrop(vols: TrainVolume[], size: number, next: () => number): VolumeFrame {
  const total = vols.reduce((s, v) => s + v.voxels, 0);
  let r = next() * total;
  let v = vols[vols.length - 1]!;
  for (const c of vols) {
    if (r < c.voxels) { v = c; break; }
    r -= c.voxels;
  }
  const [D, H, W] = v.shape;
  const z = Math.floor(next() * (D - size + 1)), y = Math.floor(next() * (H - size + 1)), x = Math.floor(next() * (W - size + 1));
  const out = new Float32Array(size * size * size);
  for (let k = 0; k < size; k++) {
    for (let j = 0; j < size; j++) {
      const src = ((z + k) * H + (y + j)) * W + x;
      out.set(v.data.subarray(src, src + size), (k * size + j) * size);
    }
  }
  return makeFrame('volume', [1, size, size, size], out, {}) as VolumeFrame;
}
