/**
 * One catalogue of coded errors, in the manner of fastify's `lib/errors.js` and undici's
 * `lib/core/errors.js`: every failure a user can cause has a stable `WALLOC_ERR_*` code, a message
 * a person understands, and an exit status for the command line (1: bad input or runtime failure,
 * 2: bad usage). Codes are never renamed or reused; add new ones at the end of their group.
 *
 * @example
 * import { WallocError, codes } from 'walloc';
 * throw new WallocError('WALLOC_ERR_CONTAINER_CRC', { record: 3 });
 * // err.message: "record 3: CRC-32 mismatch (the stream is corrupt)"
 */

type Details = Record<string, unknown>;

interface ErrorSpec {
  /** printf-free message template; `{name}` is replaced by `details.name`, `{name?}` by it or nothing. */
  readonly message: string;
  /** Exit status for the CLI: 2 for usage errors, 130 for an interrupt (128 + SIGINT), 1 for everything else. */
  readonly exit: 1 | 2 | 130;
}

const spec = (message: string, exit: 1 | 2 | 130 = 1): ErrorSpec => ({ message, exit });

/** The catalogue. Grouped by subsystem; the key is the stable code. */
export const codes = {
  // --- generic / usage -------------------------------------------------------------------
  WALLOC_ERR_INVALID_ARGUMENT: spec('invalid argument: {reason}', 2),
  WALLOC_ERR_UNKNOWN_COMMAND: spec('unknown command "{command}"; run `walloc --help` for the list', 2),
  WALLOC_ERR_UNKNOWN_OPTION: spec('unknown option "{option}"; run `{command} --help` for the list', 2),
  WALLOC_ERR_MISSING_ARGUMENT: spec('{what} is required; run `{command} --help` for usage', 2),
  WALLOC_ERR_BINARY_TO_TTY: spec('refusing to write binary data to a terminal; use -o FILE or a pipe (or --force)', 2),
  WALLOC_ERR_NOT_IMPLEMENTED: spec('{feature} is not available in this version of walloc'),
  WALLOC_ERR_INTERNAL: spec('internal error: {reason} (please report this as a bug)'),
  WALLOC_ERR_INTERRUPTED: spec('interrupted by {signal}', 130),

  // --- files and I/O ---------------------------------------------------------------------
  WALLOC_ERR_FILE_NOT_FOUND: spec('{path}: no such file'),
  WALLOC_ERR_FILE_READ: spec('{path}: cannot read ({reason})'),
  WALLOC_ERR_FILE_WRITE: spec('{path}: cannot write ({reason})'),
  WALLOC_ERR_UNSUPPORTED_INPUT: spec('{path}: unsupported input ({reason})'),
  WALLOC_ERR_FFMPEG_NOT_FOUND: spec('ffmpeg was not found; install it or set FFMPEG_PATH'),
  WALLOC_ERR_FFMPEG_FAILED: spec('ffmpeg failed: {reason}'),

  // --- frames and limits -----------------------------------------------------------------
  WALLOC_ERR_FRAME_SHAPE: spec('bad frame shape: {reason}'),
  WALLOC_ERR_FRAME_KIND: spec('{stage} expects {expected} frames, got {actual}{hint?}'),
  WALLOC_ERR_LIMIT_EXCEEDED: spec('{what} of {value} exceeds the limit of {limit}{raise?}'),

  // --- wavelets --------------------------------------------------------------------------
  WALLOC_ERR_WAVELET_UNKNOWN: spec('unknown wavelet "{wavelet}"; known: {known}', 2),
  WALLOC_ERR_WAVELET_LEVELS: spec('wavelet levels J={levels} not possible: {reason}', 2),

  // --- .wlc container --------------------------------------------------------------------
  WALLOC_ERR_CONTAINER_MAGIC: spec('not a walloc stream: bad magic {found} (expected "WLOC")'),
  WALLOC_ERR_CONTAINER_VERSION: spec('unsupported .wlc version {version} (this walloc reads version {supported})'),
  WALLOC_ERR_CONTAINER_HEADER: spec('bad .wlc header: {reason}'),
  WALLOC_ERR_CONTAINER_CRC: spec('record {record}: CRC-32 mismatch (the stream is corrupt)'),
  WALLOC_ERR_CONTAINER_TRUNCATED: spec('{at}: stream is truncated ({reason})'),
  WALLOC_ERR_CONTAINER_LENGTH: spec('{at}: length {length} exceeds the limit of {limit} bytes ({option})'),
  WALLOC_ERR_CONTAINER_RECORD_TYPE: spec('record {record}: unknown record type {type}'),
  WALLOC_ERR_CONTAINER_SEQUENCE: spec('record {record}: out of sequence (expected {expected})'),
  WALLOC_ERR_CONTAINER_PAYLOAD: spec('record {record}: bad payload ({reason})'),
  WALLOC_ERR_CONTAINER_EMPTY: spec('{path}: no frame to decode ({reason}); nothing was written'),
  WALLOC_ERR_CONTAINER_MODEL: spec('stream was made with model {found}, not {expected}{hint?}'),

  // --- models and backends ---------------------------------------------------------------
  WALLOC_ERR_MODEL_NOT_FOUND: spec('model "{model}" not found; bundled models: {known}{hint?}'),
  WALLOC_ERR_MODEL_INVALID: spec('model "{model}" is invalid: {reason}'),
  WALLOC_ERR_MODEL_CHECKSUM: spec('model "{model}": checksum mismatch (files are damaged or modified)'),
  WALLOC_ERR_BACKEND_UNAVAILABLE: spec('TensorFlow.js backend "{backend}" is not available here; available: {available}'),
  WALLOC_ERR_MODEL_INPUT: spec('model "{model}" cannot encode these frames: {reason}'),
  WALLOC_ERR_MODEL_EXISTS: spec('{path} holds a model already ({model}); {hint}', 2),

  // --- codec stages ----------------------------------------------------------------------
  WALLOC_ERR_QUANTIZE_RANGE: spec('latent value {value} is outside the {bits}-bit range'),
  WALLOC_ERR_PACK: spec('cannot pack latents: {reason}'),
  WALLOC_ERR_UNPACK: spec('cannot unpack latents: {reason}'),

  // --- filter graphs ---------------------------------------------------------------------
  WALLOC_ERR_GRAPH_SYNTAX: spec('filter graph syntax error at character {position}: {reason}\n  {graph}\n  {caret}', 2),
  WALLOC_ERR_FILTER_UNKNOWN: spec('unknown filter "{filter}"; run `walloc filters` for the list', 2),
  WALLOC_ERR_FILTER_OPTION: spec('filter "{filter}": {reason}', 2),
  WALLOC_ERR_GRAPH_LINK: spec('filter graph: {reason}', 2),
  WALLOC_ERR_GRAPH_KIND: spec('filter graph: {from} outputs {produced} but {to} expects {expected}', 2),

  // --- training and classification -------------------------------------------------------
  WALLOC_ERR_DATASET: spec('dataset {path}: {reason}'),
  WALLOC_ERR_TRAIN: spec('training failed: {reason}'),
  WALLOC_ERR_CLASSIFIER_CODEC: spec('classifier "{classifier}" was trained on codec {expected}, but the stream uses {found}'),
  WALLOC_ERR_CLASSIFIER_NONE: spec('no bundled classifier reads {what} of {found}; {hint}'),

  // --- batch conversion and job queues ---------------------------------------------------
  WALLOC_ERR_BATCH_COLLISION: spec('{path}: output {output} is also the output of {other} (rename one of them)'),
  WALLOC_ERR_ARCHIVE: spec('archive {path}: {reason}'),
  WALLOC_ERR_QUEUE: spec('job queue {url}: {reason}'),

  // --- audio -----------------------------------------------------------------------------
  WALLOC_ERR_AUDIO_FORMAT: spec('{source}: unsupported audio ({reason})'),
  WALLOC_ERR_AUDIO_TRUNCATED: spec('{source}: audio is truncated ({reason})'),
  WALLOC_ERR_AUDIO_EMPTY: spec('{source}: no audio samples in the input{hint?}'),
  WALLOC_ERR_AUDIO_CHANNELS: spec('{source}: {channels} audio channels; walloc codes mono or stereo (pick two with ffmpeg, e.g. -ac 2 or -af pan=stereo|c0=c0|c1=c1)'),

  // --- volumes (NIfTI, raw, PNG stacks) --------------------------------------------------
  WALLOC_ERR_VOLUME_FORMAT: spec('{source}: not a readable volume ({reason})'),
  WALLOC_ERR_VOLUME_TRUNCATED: spec('{source}: volume is truncated ({reason})'),
  WALLOC_ERR_VOLUME_DIMS: spec('{source}: unsupported volume dimensions ({reason})'),
  WALLOC_ERR_DICOM_COMPRESSED: spec('{source}: the DICOM pixel data is compressed ({syntax}); walloc reads uncompressed DICOM only, so decompress it first (e.g. `gdcmconv --raw IN OUT` or `dcmdjpeg IN OUT`)'),
  WALLOC_ERR_DICOM_UNSUPPORTED: spec('{source}: a DICOM image walloc cannot read ({reason})'),
  WALLOC_ERR_DICOM_SERIES: spec('{source}: the DICOM files do not make one volume ({reason})'),

  // --- vector quantization (VQ-VAE tokens, low-rank decoder) ------------------------------
  WALLOC_ERR_VQ_TOKEN: spec('token {value} at index {index} is not an entry of the {codebook}-entry codebook (corrupt stream or wrong model?)'),
  WALLOC_ERR_VQ_STREAM: spec('cannot unpack tokens: {reason}'),
  WALLOC_ERR_VQ_MODEL: spec('model "{model}": {reason}'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof codes;

// `{name?}` is optional: it renders as nothing when details lack it.
const render = (template: string, details: Details): string =>
  template.replace(/\{(\w+)(\?)?\}/g, (whole, key: string, optional?: string) => (key in details ? printable(String(details[key])) : optional ? '' : whole));

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with control characters written as escapes (`\n`, `\x1b`): a file named with a newline
 * or a terminal escape sequence stays on its one line of the message and cannot redraw the
 * terminal. The values in `details` keep the raw text for programs.
 *
 * @example
 * printable('a\nb.wav'); // 'a\\nb.wav' (prints as a\nb.wav)
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The one error class walloc throws for anything a user can cause. `code` is stable; `details`
 * holds the values named in the message (record index, path, …) for programs that want them.
 *
 * @example
 * try { await decode(buf) } catch (e) {
 *   if (isWallocError(e) && e.code === 'WALLOC_ERR_CONTAINER_CRC') console.error('corrupt record', e.details.record);
 * }
 */
export class WallocError extends Error {
  readonly code: ErrorCode;
  readonly details: Details;
  readonly exitCode: 1 | 2 | 130;

  constructor(code: ErrorCode, details: Details = {}, options?: { cause?: unknown }) {
    super(render(codes[code].message, details), options);
    this.name = 'WallocError';
    this.code = code;
    this.details = details;
    this.exitCode = codes[code].exit;
  }
}

/** True when `e` is a {@link WallocError} (optionally with the given code). */
export function isWallocError(e: unknown, code?: ErrorCode): e is WallocError {
  return e instanceof WallocError && (code === undefined || e.code === code);
}

/** Shorthand used by stages: `throw werr('WALLOC_ERR_PACK', { reason })`. */
export function werr(code: ErrorCode, details: Details = {}, cause?: unknown): WallocError {
  return new WallocError(code, details, cause === undefined ? undefined : { cause });
}
