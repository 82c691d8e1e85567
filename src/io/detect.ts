/**
 * Input sniffing by magic bytes. walloc-encode reads stdin as readily as a file, and a pipe has no
 * name to go by, so the first bytes decide which source reads the rest: walloc's own .wlc, a y4m
 * pipe from ffmpeg, an image for sharp, a WAV, a NIfTI or DICOM volume — and anything else goes to ffmpeg,
 * which knows hundreds of formats. File extensions are deliberately ignored: they lie more often
 * than magic bytes do (the fixture `not-an-image.png` is text).
 */

import { werr, type WallocError } from '../errors.js';

/** What {@link detectInput} can recognise. 'unknown' means "let ffmpeg try". */
/** 'audio': a compressed audio stream ffmpeg reads (Ogg, FLAC, MP3, AIFF, CAF, ADTS AAC, M4A), known by its magic. */
export type InputKind = 'wlc' | 'y4m' | 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'wav' | 'audio' | 'nifti' | 'dicom' | 'gzip' | 'unknown';

/**
 * How many leading bytes a caller should collect before calling {@link detectInput}: NIfTI-1 keeps
 * its magic at offset 344, the furthest in. Fewer bytes (a short stream) still work; formats whose
 * magic lies beyond the end simply are not recognised.
 */
export const DETECT_BYTES = 352;

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

function at(bytes: Uint8Array, offset: number, magic: readonly number[]): boolean {
  if (bytes.length < offset + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[offset + i] !== magic[i]) return false;
  return true;
}

const WLOC = ascii('WLOC');
const Y4M = ascii('YUV4MPEG2 ');
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii('GIF87a');
const GIF89 = ascii('GIF89a');
const TIFF_LE = [0x49, 0x49, 0x2a, 0x00];
const TIFF_BE = [0x4d, 0x4d, 0x00, 0x2a];
const BIGTIFF_LE = [0x49, 0x49, 0x2b, 0x00];
const BIGTIFF_BE = [0x4d, 0x4d, 0x00, 0x2b];
const RIFF = ascii('RIFF');
const RF64 = ascii('RF64');
const BW64 = ascii('BW64');
const WAVE = ascii('WAVE');
const WEBP = ascii('WEBP');
const NIFTI1_SINGLE = ascii('n+1\0');
const NIFTI1_PAIR = ascii('ni1\0');
const NIFTI2_SINGLE = ascii('n+2\0');
const NIFTI2_PAIR = ascii('ni2\0');
const GZIP = [0x1f, 0x8b];
const DICM = ascii('DICM');
const OGG = ascii('OggS');
const FLAC = ascii('fLaC');
const ID3 = ascii('ID3');
const FORM = ascii('FORM');
const AIFF = ascii('AIFF');
const AIFC = ascii('AIFC');
const CAFF = [...ascii('caff'), 0, 1];
const FTYP = ascii('ftyp');
/** MP4 brands that say "audio only" (iTunes audio, audiobook, protected audio); `isom` may be either. */
const AUDIO_BRANDS = ['M4A ', 'M4B ', 'M4P '].map(ascii);

const OGG_FLAC = [0x7f, ...ascii('FLAC')];

/** Where the first packet of an Ogg stream starts (after the page's segment table), or -1. */
const oggFirstPacket = (b: Uint8Array): number => (at(b, 0, OGG) && b.length >= 27 ? 27 + b[26]! : -1);

/** An Ogg stream whose first packet opens Vorbis, Opus, FLAC or Speex (not Theora or VP8 video). */
function isOggAudio(b: Uint8Array): boolean {
  const p = oggFirstPacket(b);
  return p >= 0 && (at(b, p, [1, ...ascii('vorbis')]) || at(b, p, ascii('OpusHead')) || at(b, p, OGG_FLAC) || at(b, p, ascii('Speex   ')));
}

/** ADTS AAC: a frame header (12 sync bits, layer 0), and another one where its length says. */
function isAdts(b: Uint8Array): boolean {
  const header = (o: number) => b.length >= o + 7 && b[o] === 0xff && (b[o + 1]! & 0xf6) === 0xf0;
  if (!header(0)) return false;
  const len = ((b[3]! & 3) << 11) | (b[4]! << 3) | (b[5]! >> 5);
  return len >= 7 && header(len);
}

/**
 * Names the format of an input from its first bytes (ideally {@link DETECT_BYTES} of them).
 * 'gzip' is returned as such (a .nii.gz is the common case): the caller gunzips and sniffs again.
 *
 * @example
 * detectInput(await readFile('photo.png'));          // 'png'
 * detectInput(Buffer.from('YUV4MPEG2 W64 H48 F5:1')); // 'y4m'
 * detectInput(Buffer.from('hello'));                  // 'unknown' → hand it to ffmpeg
 */
export function detectInput(firstBytes: Uint8Array): InputKind {
  const b = firstBytes;
  if (at(b, 0, WLOC)) return 'wlc';
  if (at(b, 0, Y4M)) return 'y4m';
  if (at(b, 0, PNG)) return 'png';
  if (at(b, 0, JPEG)) return 'jpeg';
  if (at(b, 0, GIF87) || at(b, 0, GIF89)) return 'gif';
  if (at(b, 0, TIFF_LE) || at(b, 0, TIFF_BE) || at(b, 0, BIGTIFF_LE) || at(b, 0, BIGTIFF_BE)) return 'tiff';
  if (at(b, 0, RIFF) && at(b, 8, WEBP)) return 'webp';
  // RF64 and BW64 are the 64-bit WAV variants ffmpeg writes for long recordings.
  if ((at(b, 0, RIFF) || at(b, 0, RF64) || at(b, 0, BW64)) && at(b, 8, WAVE)) return 'wav';
  if (at(b, 0, GZIP)) return 'gzip';
  // NIfTI-2 keeps its magic at offset 4, right after sizeof_hdr; NIfTI-1 at 344.
  if (at(b, 4, NIFTI2_SINGLE) || at(b, 4, NIFTI2_PAIR)) return 'nifti';
  if (at(b, 344, NIFTI1_SINGLE) || at(b, 344, NIFTI1_PAIR)) return 'nifti';
  // DICOM Part-10: a 128-byte preamble (usually zeros), then 'DICM' (src/io/dicom.ts).
  if (at(b, 128, DICM)) return 'dicom';
  // Compressed audio, so that a pipe of it (no file name to go by) reaches the audio codec. Last,
  // and strict: Ogg only with an audio codec's first packet (not Theora video), ADTS only when a
  // second frame header follows the first.
  if (isOggAudio(b) || at(b, 0, FLAC) || at(b, 0, ID3) || (at(b, 0, FORM) && (at(b, 8, AIFF) || at(b, 8, AIFC))) || at(b, 0, CAFF) || isAdts(b)) return 'audio';
  if (at(b, 4, FTYP) && AUDIO_BRANDS.some((brand) => at(b, 8, brand))) return 'audio';
  return 'unknown';
}

/**
 * True for FLAC, bare or in Ogg: a lossless format whose every frame carries a checksum, so a
 * decoding error means damage. (In MP3 or AAC a bad frame can be the padding after the last one.)
 *
 * @example
 * isFlacAudio(Buffer.from('fLaC\0\0\0\x22')); // true
 */
export function isFlacAudio(b: Uint8Array): boolean {
  const p = oggFirstPacket(b);
  return at(b, 0, FLAC) || (p >= 0 && at(b, p, OGG_FLAC));
}

/**
 * True for CAF and MP4-family files (QuickTime, M4A): containers whose readers seek to find the
 * samples, so that ffmpeg may find none in them on a pipe.
 *
 * @example
 * isSeekingContainer(m4aHead); // true
 */
export function isSeekingContainer(b: Uint8Array): boolean {
  return at(b, 0, CAFF) || at(b, 4, FTYP);
}

/** True for the kinds {@link detectInput} returns that sharp decodes (see src/io/image.ts). */
export function isImageKind(kind: InputKind): kind is 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' {
  return kind === 'png' || kind === 'jpeg' || kind === 'webp' || kind === 'gif' || kind === 'tiff';
}

// What a file that is not a .wlc is, in words, so that a photo given by mistake is named as one
// (its magic bytes printed as Latin-1 were unreadable).
const KIND_WORDS: Partial<Record<InputKind, string>> = {
  y4m: 'a y4m video', png: 'a PNG image', jpeg: 'a JPEG image', webp: 'a WebP image', gif: 'a GIF image', tiff: 'a TIFF image',
  wav: 'a WAV file', audio: 'an audio file', nifti: 'a NIfTI volume', dicom: 'a DICOM file', gzip: 'a gzip file',
};

/**
 * WALLOC_ERR_UNSUPPORTED_INPUT for a file given where a .wlc stream is read (walloc-decode,
 * classify, walloc info), naming what it is when its first bytes say.
 *
 * @example
 * throw notWlcError('photo.jpg', detectInput(head)); // "photo.jpg: unsupported input (not a .wlc stream (it is a JPEG image); …)"
 */
export function notWlcError(path: string, kind: InputKind): WallocError {
  const what = KIND_WORDS[kind];
  return werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path, reason: `not a .wlc stream (${what ? `it is ${what}` : 'it does not start with "WLOC"'}); encode it with walloc-encode first` });
}

