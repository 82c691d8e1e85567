/**
 * Volumes through a codec: intensity window → [1, D, H, W] frame → the codec's 3-D path (wavelet
 * packets with 8 sub-bands per level, 1×1×1 projection, companding, int8, packing of the latent
 * slices into one lossless WebP/PNG) → one .wlc record, and back.
 *
 * Whole volumes are one record. Streams (slices arriving one by one, e.g. PNGs on a pipe) are cut
 * into slabs of `slab` slices (a multiple of 2^J), each its own record, so memory is bounded by one
 * slab whatever the depth. Every record carries its own window [lo, hi] (from its own voxels, by
 * the model's rule, or fixed by the caller), its voxels' [min, max] (the decoder clamps to it: the
 * window's top is a percentile, not the maximum) and its first slice index `z0`.
 *
 * The .wlc header says what the decoder needs to write the volume back: `shape` [1, D, H, W] when
 * known up front, and `volume` = {spacing, dtype, nifti?, slab}.
 */
import { werr } from '../errors.js';
import { makeFrame, type Frame } from '../frame.js';
import type { WlcHeader } from '../container/index.js';
import { checkVolumeSize, DEFAULT_WINDOW, frameToIntensities, valueRange, volumeToFrame, volumeWindow, type NiftiInfo, type Volume, type VoxelType, type WindowRule } from '../io/volume.js';
import type { Slice } from '../io/png-stack.js';
import type { Codec } from './codec.js';

/** Header key holding {@link VolumeStreamInfo}. */
export const VOLUME_HEADER_KEY = 'volume';
/** Frame `meta.extra` key holding {@link SlabInfo}. */
export const SLAB_META_KEY = 'slab';

/** What the header says about the volume as a whole. */
export interface VolumeStreamInfo {
  spacing: [number, number, number];
  dtype: VoxelType;
  nifti?: NiftiInfo;
  /** Slices per record; 0 means one record holds the whole volume. */
  slab: number;
}

/** Per-record facts in `meta.extra.slab`. */
export interface SlabInfo {
  /** Index of the record's first slice in the volume. */
  z0: number;
  /** [min, max] of the record's voxels. */
  range: [number, number];
}

/**
 * The window rule a model records (`training.window`), else minimum to 99.9th percentile.
 *
 * @example
 * windowRuleOf(Codec.load('volume-mri')); // { lowPercentile: 0, highPercentile: 99.9 }
 */
export function windowRuleOf(codec: Codec): WindowRule {
  const w = codec.model.config.training?.window as Partial<WindowRule> | undefined;
  if (w && typeof w.lowPercentile === 'number' && typeof w.highPercentile === 'number') return { lowPercentile: w.lowPercentile, highPercentile: w.highPercentile };
  return DEFAULT_WINDOW;
}

/**
 * The .wlc header of a volume stream (`shape` only when the depth is known).
 *
 * @example
 * const header = volumeHeader(codec, { spacing: vol.spacing, dtype: vol.dtype, nifti: vol.nifti, slab: 0 }, vol.shape);
 */
export function volumeHeader(codec: Codec, info: VolumeStreamInfo, shape?: readonly number[], extra: Record<string, unknown> = {}): WlcHeader {
  return codec.header({ ...extra, ...(shape ? { shape: [1, ...shape] } : {}), [VOLUME_HEADER_KEY]: info });
}

/**
 * Reads and checks the volume facts of a header.
 *
 * @example
 * const info = volumeInfoOf(reader.header);
 */
export function volumeInfoOf(h: WlcHeader): VolumeStreamInfo {
  const v = h[VOLUME_HEADER_KEY] as Partial<VolumeStreamInfo> | undefined;
  const bad = (reason: string) => werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `volume: ${reason}` });
  // A stream made by a filter graph (`load=x.nii.gz,…,save=x.wlc`) has no volume facts: float
  // voxels, spacing from the frames, placed by their z0.
  if (v === undefined) return { spacing: [1, 1, 1], dtype: 'float32', slab: 0 };
  if (typeof v !== 'object' || v === null) throw bad('the header has no "volume" object');
  if (!Array.isArray(v.spacing) || v.spacing.length !== 3 || !v.spacing.every((s) => typeof s === 'number' && s > 0 && Number.isFinite(s))) throw bad('spacing is not three positive numbers');
  if (typeof v.dtype !== 'string' || !['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'].includes(v.dtype)) throw bad(`dtype ${JSON.stringify(v.dtype)} is not a voxel type`);
  if (!Number.isSafeInteger(v.slab) || (v.slab as number) < 0) throw bad('slab is not a non-negative integer');
  return v as VolumeStreamInfo;
}

/**
 * Encodes one volume (or slab) into one packed frame; `z0` is its first slice in the volume.
 *
 * @example
 * const frame = await encodeVolumeFrame(codec, vol);
 */
export async function encodeVolumeFrame(codec: Codec, vol: Volume, opts: { z0?: number; window?: [number, number]; rule?: WindowRule } = {}): Promise<Frame> {
  const window = opts.window ?? volumeWindow(vol.data, opts.rule ?? windowRuleOf(codec));
  const frame = volumeToFrame(vol, window);
  const slab: SlabInfo = { z0: opts.z0 ?? 0, range: valueRange(vol.data) };
  return codec.encodeFrame(makeFrame('volume', frame.shape, frame.data, { ...frame.meta, extra: { [SLAB_META_KEY]: slab } }));
}

/**
 * Decodes one packed volume frame to intensities [D, H, W] (clamped to the record's range) and
 * its first slice index.
 *
 * @example
 * const { data, shape, z0 } = await decodeVolumeFrame(codec, packed);
 */
export async function decodeVolumeFrame(codec: Codec, frame: Frame): Promise<{ data: Float32Array; shape: [number, number, number]; z0: number; spacing?: number[] }> {
  const media = await codec.decodeFrame(frame);
  if (media.kind !== 'volume' || media.shape.length !== 4) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `expected a decoded volume [1, D, H, W], got ${media.kind} [${media.shape.join(', ')}]` });
  const w = media.meta.window;
  if (!Array.isArray(w) || w.length !== 2 || !w.every(Number.isFinite) || !(w[1] > w[0])) throw werr('WALLOC_ERR_CONTAINER_PAYLOAD', { record: '?', reason: `volume frame has no valid window (${JSON.stringify(w)})` });
  const slab = media.meta.extra?.[SLAB_META_KEY] as Partial<SlabInfo> | undefined;
  const range = Array.isArray(slab?.range) && slab.range.length === 2 && slab.range.every(Number.isFinite) ? slab.range : undefined;
  const z0 = Number.isSafeInteger(slab?.z0) && (slab!.z0 as number) >= 0 ? slab!.z0 as number : 0;
  const data = frameToIntensities(media as { data: Float32Array }, w, range);
  return { data, shape: [media.shape[1]!, media.shape[2]!, media.shape[3]!], z0, ...(Array.isArray(media.meta.spacing) && media.meta.spacing.length === 3 ? { spacing: media.meta.spacing } : {}) };
}

/**
 * Encodes slices as they arrive, `slab` at a time (the last slab may be thinner): memory holds one
 * slab. Each yielded frame is a record of the stream.
 *
 * @example
 * for await (const rec of encodeSlabs(codec, pngSlices(splitPngStream(process.stdin)), { slab: 32 })) writer.write(rec);
 */
export async function* encodeSlabs(codec: Codec, slices: AsyncIterable<Slice>, opts: { slab: number; spacing?: [number, number, number]; window?: [number, number]; onSlice?: (s: Slice) => void }): AsyncGenerator<Frame> {
  const step = 2 ** codec.model.config.levels;
  if (!Number.isSafeInteger(opts.slab) || opts.slab < step || opts.slab % step !== 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--slab must be a positive multiple of 2^J = ${step}, got ${opts.slab}` });
  }
  let buf: Float32Array | undefined;
  let n = 0, z0 = 0;
  let H = 0, W = 0;
  let dtype: VoxelType = 'uint8';
  const flush = async (): Promise<Frame> => {
    const vol: Volume = { data: buf!.subarray(0, n * H * W), shape: [n, H, W], spacing: opts.spacing ?? [1, 1, 1], dtype };
    const f = await encodeVolumeFrame(codec, vol, { z0, window: opts.window });
    z0 += n;
    n = 0;
    return f;
  };
  for await (const s of slices) {
    opts.onSlice?.(s);
    if (!buf) {
      H = s.height; W = s.width;
      checkVolumeSize([opts.slab, H, W], {}, 'slab');
      buf = new Float32Array(opts.slab * H * W);
    }
    dtype = s.dtype;
    buf.set(s.data, n * H * W);
    if (++n === opts.slab) yield await flush();
  }
  if (n > 0) yield await flush();
}

/**
 * Collects decoded records into the whole volume (records may come in any slab size; their z0
 * places them). Slices no record covered are zero.
 *
 * @example
 * const vol = await assembleVolume(codec, header, frames);
 */
export async function assembleVolume(codec: Codec, header: WlcHeader, frames: AsyncIterable<Frame>): Promise<Volume> {
  const info = volumeInfoOf(header);
  const parts: Array<{ data: Float32Array; shape: [number, number, number]; z0: number; spacing?: number[] }> = [];
  let depth = 0;
  for await (const f of frames) {
    const p = await decodeVolumeFrame(codec, f);
    if (parts.length && (p.shape[1] !== parts[0]!.shape[1] || p.shape[2] !== parts[0]!.shape[2])) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `record slices are ${p.shape[1]}×${p.shape[2]}, earlier ones ${parts[0]!.shape[1]}×${parts[0]!.shape[2]}` });
    }
    parts.push(p);
    depth = Math.max(depth, p.z0 + p.shape[0]);
  }
  if (parts.length === 0) throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: 'volume', reason: 'the stream holds no volume records' });
  const shape = header.shape;
  if (Array.isArray(shape) && shape.length === 4) depth = Math.max(depth, shape[1]!);
  const [, H, W] = parts[0]!.shape;
  checkVolumeSize([depth, H, W], {}, 'decoded volume');
  const data = new Float32Array(depth * H * W);
  for (const p of parts) data.set(p.data, p.z0 * H * W);
  const spacing = header[VOLUME_HEADER_KEY] === undefined && Array.isArray(parts[0]!.spacing) ? parts[0]!.spacing as [number, number, number] : info.spacing;
  return { data, shape: [depth, H, W], spacing: [...spacing], dtype: info.dtype, ...(info.nifti ? { nifti: info.nifti } : {}) };
}
