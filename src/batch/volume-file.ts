/**
 * One volume file (NIfTI `.nii` / `.nii.gz`, or a single DICOM file) in, one complete .wlc file's
 * bytes out (and back), for batches. The .wlc is the one `walloc-encode FILE -o x.wlc` writes with
 * the same model: the whole volume as one record (walloc-encode's default for a file; `--slab` is a
 * streaming option), the same `shape` and `volume` header fields, except the batch's source fields
 * (`source` relative to the batch root, `sourceBytes`, `sourceSha256`). Decoding writes the
 * `.nii.gz` walloc-decode writes: same dims, spacing, affine and voxel type as the input.
 */
import type { Codec } from '../codec/codec.js';
import { assembleVolume, encodeVolumeFrame, volumeHeader } from '../codec/volume-codec.js';
import { readWlcSync, writeWlc, type WlcHeader } from '../container/index.js';
import { werr } from '../errors.js';
import { detectInput } from '../io/detect.js';
import type { ImageLimits } from '../io/limits.js';
import { encodeNifti } from '../io/nifti.js';
import { parseVolumeFile } from '../io/volume-file.js';
import type { SourceFields } from './encode-file.js';

/** An encoded volume. */
export interface EncodedVolume {
  /** The complete .wlc file. */
  wlc: Buffer;
  header: WlcHeader;
  /** [D, H, W]. */
  shape: [number, number, number];
}

/**
 * Encodes one volume file with a volume codec into one record.
 *
 * @throws WALLOC_ERR_UNSUPPORTED_INPUT (not a volume), WALLOC_ERR_VOLUME_* (damaged, bad dims), WALLOC_ERR_LIMIT_EXCEEDED
 * @example
 * const { wlc } = await encodeVolumeFile(readFileSync('mri/s1.nii.gz'), 'mri/s1.nii.gz', Codec.load('volume-mri'), fields);
 */
export async function encodeVolumeFile(bytes: Buffer, rel: string, codec: Codec, fields: SourceFields, opts: { limits?: ImageLimits } = {}): Promise<EncodedVolume> {
  const vol = parseVolumeFile(bytes, detectInput(bytes.subarray(0, 4096)), { source: rel, limits: opts.limits ?? {} });
  const info = { spacing: vol.spacing, dtype: vol.dtype, ...(vol.nifti ? { nifti: vol.nifti } : {}), slab: 0 };
  const header = volumeHeader(codec, info, vol.shape, { source: fields.source, sourceBytes: fields.sourceBytes, sourceSha256: fields.sourceSha256, frames: 1 });
  const record = await encodeVolumeFrame(codec, vol);
  return { wlc: writeWlc(header, [record]), header, shape: [...vol.shape] };
}

/**
 * Decodes a complete volume .wlc file into gzipped NIfTI-1 bytes.
 *
 * @throws WALLOC_ERR_CONTAINER_* for a damaged file, WALLOC_ERR_CONTAINER_MODEL for the wrong model
 * @example
 * const { nifti } = await decodeVolumeFile(readFileSync('mri/s1.wlc'), (name) => Codec.load(name), 'mri/s1.wlc');
 */
export async function decodeVolumeFile(wlc: Uint8Array, codecFor: (model: string) => Codec, name = 'input'): Promise<{ nifti: Buffer; shape: [number, number, number]; header: WlcHeader }> {
  const { header, frames, terminated } = readWlcSync(wlc, { strict: true });
  if (!terminated) throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: name, reason: 'no end record' });
  if (typeof header.model !== 'string') throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${name}: the header names no model` });
  const codec = codecFor(header.model);
  codec.checkHeader(header);
  const vol = await assembleVolume(codec, header, (async function* () { yield* frames; })());
  return { nifti: encodeNifti(vol, { gzip: true }), shape: vol.shape, header };
}
