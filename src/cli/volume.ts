/**
 * The volume paths of walloc-encode and walloc-decode (issue 9), beside those commands like the
 * audio paths are:
 *
 * - encode: NIfTI (`.nii`, `.nii.gz`, file or pipe), a DICOM file or series (a folder of `.dcm`
 *   files; uncompressed only, src/io/dicom.ts), a raw volume (`--shape D,H,W --dtype T`),
 *   or a stack of PNG slices (a folder, a `%d` pattern, or PNGs back to back on stdin with
 *   `--stack`). Whole volumes become one record; `--slab N` (and PNGs on a pipe, by default)
 *   encodes N slices at a time as they arrive, with memory bounded by one slab.
 * - decode: records → the volume → `.nii.gz` / `.nii` (NIfTI-1, same dims, spacing, affine and
 *   voxel type as the input), `.raw` (little-endian voxels of the input's type), a `%d.png`
 *   pattern (PNG slices), or NIfTI on stdout.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Codec } from '../codec/codec.js';
import { assembleVolume, encodeSlabs, encodeVolumeFrame, volumeHeader, volumeInfoOf } from '../codec/volume-codec.js';
import { WlcWriter, isWlcMeta, type WlcHeader, type WlcReader } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import type { OpenedInput } from '../io/input.js';
import type { ImageLimits } from '../io/limits.js';
import { encodeNifti } from '../io/nifti.js';
import { isDicomFolder, listDicomFiles, readDicomSeries } from '../io/dicom.js';
import { parseVolumeFile } from '../io/volume-file.js';
import { openOutput, writeAtomically } from '../io/output.js';
import { listSliceFiles, pngSlices, readPngStack, splitPngStream, writePngStack } from '../io/png-stack.js';
import { isFramePattern } from '../io/frame-sink.js';
import { checkOutputFolder } from '../io/atomic.js';
import { encodeVoxels, parseRawVolume, parseShape3, parseSpacing, parseVoxelType, VOXEL_TYPES, type Volume, type VoxelType } from '../io/volume.js';
import { loadModel } from '../models/model-file.js';
import type { CommandIo } from './command.js';
import { defaultModel } from '../models/registry.js';
import { interruptSignal } from './run.js';
import { imageLimitOptions, intOption } from './options.js';

/** Command-line options of the volume path (merged into walloc-encode's table). */
export const VOLUME_ENCODE_OPTIONS = {
  shape: { type: 'string', arg: 'D,H,W', help: 'raw volume input: its size, slowest axis first (with --dtype)' },
  dtype: { type: 'string', arg: 'TYPE', help: 'raw volume input: voxel type uint8, int16, uint16, int32, float32, float64 … (little-endian)' },
  spacing: { type: 'string', arg: 'DZ,DY,DX', help: 'raw volume or PNG stack: voxel size in mm (default 1,1,1)' },
  stack: { type: 'boolean', help: 'the input is PNG slices: a folder, a %d pattern, or PNGs back to back on stdin (grey folders and patterns are slices anyway; colour ones are images without it)' },
  slab: { type: 'string', arg: 'N', help: 'volumes: encode N slices per record as they arrive (a multiple of 2^J; bounded memory)' },
} as const;

/**
 * A folder or a `%d` pattern: PNG slices or a DICOM series (or, in colour, a sequence of images),
 * which walloc-encode sorts out before opening any input.
 *
 * @example
 * isSliceFolder('slices/'); // true
 * isSliceFolder('scan.nii.gz'); // false
 */
export function isSliceFolder(inPath: string): boolean {
  return inPath !== '-' && (isFramePattern(inPath) || (existsSync(inPath) && statSync(inPath).isDirectory()));
}

/**
 * True when the options alone say the input is a volume: raw-volume or stack flags, or a volume
 * model.
 *
 * @example
 * asksForVolume({ stack: true }); // true
 * asksForVolume({ model: 'rgb-16x' }); // false
 */
export function asksForVolume(values: Record<string, unknown>): boolean {
  if (values.shape !== undefined || values.dtype !== undefined || values.stack === true || values.slab !== undefined) return true;
  if (typeof values.model === 'string') {
    try {
      return loadModel(values.model).config.modality === 'volume';
    } catch {
      return false;
    }
  }
  return false;
}

/** Slab size default for streams: 8 latent slices deep (32 slices at J = 2). */
const streamSlab = (codec: Codec) => 8 * 2 ** codec.model.config.levels;

/**
 * walloc-encode for volumes. `input` is the opened input for NIfTI/raw/PNG-on-stdin, or undefined
 * for a folder or pattern of PNG slices.
 *
 * @example
 * await encodeVolumeMain({ output: 'brain.wlc' }, 'brain.nii.gz', await openInput('brain.nii.gz', process.stdin), io);
 */
export async function encodeVolumeMain(values: Record<string, unknown>, inPath: string, input: OpenedInput | undefined, io: CommandIo): Promise<number> {
  const source = inPath === '-' ? 'stdin' : inPath;
  const limits: ImageLimits = imageLimitOptions(values);
  const packFormat = values.pack as 'webp' | 'png' | undefined;
  const effort = intOption(values.effort, 'effort', 0, 6);
  const codec = Codec.load((values.model as string | undefined) ?? defaultModel('volume'), {
    pack: { ...(packFormat ? { format: packFormat } : {}), ...(effort !== undefined ? { effort } : {}) },
  });
  if (codec.model.config.modality !== 'volume') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `model ${codec.model.config.name} codes ${codec.model.config.modality}, not volumes` });
  const spacing = typeof values.spacing === 'string' ? parseSpacing(values.spacing) : undefined;
  const slab = intOption(values.slab, 'slab', 1, 1 << 16);
  const raw = values.shape !== undefined || values.dtype !== undefined;
  if (raw && (values.shape === undefined || values.dtype === undefined)) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a raw volume needs both --shape and --dtype;', command: 'walloc-encode' });

  // Where the slices come from: a stream of PNGs (encoded slab by slab), or one whole volume.
  let records: AsyncIterable<Frame>;
  let header: WlcHeader;
  let voxels = 0;
  const pngStream = input !== undefined && (input.kind === 'png' || values.stack === true) && !raw;
  // A folder of DICOM files is one whole volume (its slices are ordered by position, not by name).
  const dicomDir = input === undefined && !raw && values.stack !== true && isDicomFolder(inPath);
  if (pngStream || (input === undefined && slab !== undefined && !dicomDir)) {
    const pngs = input ? splitPngStream(input.stream, source) : listSliceFiles(inPath);
    const s = slab ?? streamSlab(codec);
    // The header goes out before any record, so read the first slice now for its size and type.
    const it = pngSlices(pngs, limits, source)[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'no slices' });
    const all = (async function* () { yield first.value; for (let r = await it.next(); !r.done; r = await it.next()) yield r.value; })();
    records = encodeSlabs(codec, all, { slab: s, spacing, onSlice: (sl) => { voxels += sl.data.length; } });
    // The depth is unknown until the stream ends; the decoder places records by their z0.
    header = volumeHeader(codec, { spacing: spacing ?? [1, 1, 1], dtype: first.value.dtype, slab: s }, undefined, { source: basename(source) });
  } else {
    let vol: Volume;
    if (dicomDir) vol = readDicomSeries(listDicomFiles(inPath), { limits, source });
    else if (input === undefined) vol = await readPngStack(listSliceFiles(inPath), { spacing, limits, source });
    else if (raw) vol = parseRawVolume(await input.readAll(), parseShape3(values.shape as string), parseVoxelType(values.dtype as string), { spacing, limits, source });
    // Volume flags make any other input a NIfTI to try (its parser says what is wrong).
    else vol = parseVolumeFile(await input.readAll(), input.kind === 'dicom' || input.kind === 'gzip' ? input.kind : 'nifti', { source, limits });
    voxels = vol.data.length;
    const info = { spacing: vol.spacing, dtype: vol.dtype, ...(vol.nifti ? { nifti: vol.nifti } : {}), slab: slab ?? 0 };
    header = volumeHeader(codec, info, vol.shape, { source: basename(source), frames: slab ? Math.ceil(vol.shape[0] / slab) : 1 });
    records = slab ? encodeSlabs(codec, volumeSlices(vol), { slab, spacing: vol.spacing }) : (async function* () { yield await encodeVolumeFrame(codec, vol); })();
  }

  const out = openOutput((values.output as string | undefined) ?? '-', { stdout: io.stdout, force: values.force === true });
  const { signal, release } = interruptSignal();
  const t0 = performance.now();
  let bytes = 0;
  try {
    await writeAtomically(out, async () => {
      // The header is serialised when the first record is written, after the first slices are read.
      const writer = new WlcWriter({ header });
      writer.on('data', (c: Buffer) => { bytes += c.length; });
      await pipeline(Readable.from(records), writer, out.stream, { signal });
    });
  } finally {
    release();
    codec.dispose();
  }
  if (!values.quiet && out.label !== '-') {
    const s = (performance.now() - t0) / 1000;
    // Against 16-bit voxels (the measure docs/volumes.md reports), and against the input's own type
    // when that is another (a uint8 scan is not 16-bit).
    const dtype = (header.volume as { dtype?: unknown } | undefined)?.dtype;
    const own = typeof dtype === 'string' && dtype in VOXEL_TYPES ? VOXEL_TYPES[dtype as VoxelType].bytes : 2;
    const ownRatio = own === 2 ? '' : `; ${((own * voxels) / bytes).toFixed(1)}:1 against its own ${String(dtype)} voxels`;
    io.stderr.write(`${out.label}: ${(voxels / 1e6).toFixed(2)} Mvoxels → ${bytes} bytes (${((2 * voxels) / bytes).toFixed(1)}:1 against 16-bit voxels${ownRatio}) in ${s.toFixed(2)} s with ${codec.model.id}\n`);
  }
  return 0;
}

/** A volume's slices one by one (for `--slab` on a whole file). */
async function* volumeSlices(vol: Volume) {
  const [D, H, W] = vol.shape;
  for (let z = 0; z < D; z++) yield { data: vol.data.subarray(z * H * W, (z + 1) * H * W), height: H, width: W, dtype: vol.dtype };
}

/**
 * walloc-decode for volumes: the whole stream is decoded, then written in one go (NIfTI needs the
 * depth in its header), atomically.
 *
 * @example
 * await decodeVolumeMain(values, reader.header, codec, reader, io, 'back.nii.gz', signal);
 */
export async function decodeVolumeMain(values: Record<string, unknown>, header: WlcHeader, codec: Codec, reader: WlcReader, io: CommandIo, outPath: string, signal: AbortSignal): Promise<void> {
  volumeInfoOf(header);
  if (outPath !== '-') checkOutputFolder(outPath);
  const ext = outPath === '-' ? '' : outPath.toLowerCase().endsWith('.nii.gz') ? '.nii.gz' : extname(outPath).toLowerCase();
  const isPattern = isFramePattern(outPath);
  if (!isPattern && !['', '.nii', '.nii.gz', '.raw'].includes(ext)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `a volume decodes to .nii.gz, .nii, .raw or PNG slices (a %d pattern such as slice-%03d.png), not ${ext || outPath}` });
  }
  if (isPattern && extname(outPath).toLowerCase() !== '.png') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'PNG slices need a pattern ending in .png, e.g. slice-%03d.png' });
  const frames = (async function* () {
    for await (const item of reader) {
      // Ctrl-C while decoding: stop before anything is written (the output is only opened below).
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('interrupted');
      if (!isWlcMeta(item)) yield item as Frame;
    }
  })();
  const vol = await assembleVolume(codec, header, frames);
  if (isPattern) {
    await writePngStack(vol, outPath, values.quiet === true ? undefined : (msg) => io.stderr.write(`walloc-decode: warning: ${msg}\n`));
    return;
  }
  const bytes = ext === '.raw' ? Buffer.from(encodeVoxels(vol.data, vol.dtype)) : encodeNifti(vol, { gzip: ext === '.nii.gz' });
  const out = openOutput(outPath, { stdout: io.stdout, force: values.force === true });
  await writeAtomically(out, () => new Promise<void>((resolve, reject) => {
    out.stream.on('error', reject);
    (out.stream as NodeJS.WritableStream).write(bytes, (e) => (e ? reject(e) : resolve()));
  }).then(() => { if (out.stream !== io.stdout) (out.stream as NodeJS.WritableStream).end(); }));
}
