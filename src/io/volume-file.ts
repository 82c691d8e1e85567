/**
 * One volume file's bytes → a volume, by what its first bytes say it is: DICOM, NIfTI, or gzip
 * holding either. walloc-encode and walloc batch read volume files through this one function.
 */
import { werr } from '../errors.js';
import type { InputKind } from './detect.js';
import { isGzippedDicom, parseDicom } from './dicom.js';
import type { ImageLimits } from './limits.js';
import { isNotNifti, parseNifti } from './nifti.js';
import type { Volume } from './volume.js';

/**
 * Parses a DICOM, NIfTI or gzipped volume file; `kind` is what detectInput said of its first bytes.
 * Any other kind is not a volume file.
 *
 * @throws WALLOC_ERR_UNSUPPORTED_INPUT (not a volume, a gzip without NIfTI), WALLOC_ERR_VOLUME_*, WALLOC_ERR_DICOM_*
 * @example
 * const vol = parseVolumeFile(bytes, detectInput(bytes), { source: 'brain.nii.gz' });
 */
export function parseVolumeFile(bytes: Uint8Array, kind: InputKind, opts: { source: string; limits?: ImageLimits }): Volume {
  const { source, limits = {} } = opts;
  if (kind === 'dicom') return parseDicom(bytes, { limits, source });
  if (kind === 'nifti' || kind === 'gzip') {
    try {
      return kind === 'gzip' && isGzippedDicom(bytes) ? parseDicom(bytes, { limits, source }) : parseNifti(bytes, { source, limits });
    } catch (e) {
      // A gzip file that is not a NIfTI volume (a .tar.gz, a gzipped WAV) is not ours at all.
      if (kind === 'gzip' && isNotNifti(e)) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: source, reason: 'a gzip file that does not hold a NIfTI volume' });
      throw e;
    }
  }
  throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: source, reason: `it is ${kind === 'wlc' ? 'already a .wlc stream' : kind === 'unknown' ? 'not a NIfTI or DICOM volume' : `a ${kind} file, not a volume`}` });
}
