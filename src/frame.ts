/**
 * The unit that flows through every walloc stream: one `Frame` per image, video frame, audio
 * chunk or volume, in object mode. A frame carries everything needed to invert the step that
 * made it (original shape, padding, wavelet levels, model id), so a stage never needs to know
 * which graph it is in.
 *
 * Layouts are planar, row-major, last axis fastest:
 * - `image`:  [C, H, W]     Float32Array, values in [-0.5, 0.5] (x/255 - 0.5)
 * - `audio`:  [C, L]        Float32Array, values in [-1, 1]
 * - `volume`: [C, D, H, W]  Float32Array, intensities mapped to [-0.5, 0.5] through `meta.window`
 * - `coeffs`: [C·K^J, ...spatial/2^J] Float32Array, wavelet packet coefficients (K = 2, 4, 8)
 * - `latent`: [N, ...spatial] Float32Array before quantize, Int8Array after
 * - `tokens`: [...grid] Uint16Array of codebook indices
 * - `packed`: [bytes] Uint8Array, a lossless WebP/PNG of tiled int8 latents; `meta.extra.pack` says how (src/stages/pack.ts)
 */
import { werr } from './errors.js';

/** The kinds of signal a codec consumes and a decoder reproduces. */
export type MediaKind = 'image' | 'audio' | 'volume';
export type FrameKind = MediaKind | 'coeffs' | 'latent' | 'tokens' | 'packed';

/** Every frame kind, for checks at the API's edge. */
export const FRAME_KINDS: readonly FrameKind[] = ['image', 'audio', 'volume', 'coeffs', 'latent', 'tokens', 'packed'];

/** Number of spatial axes of each media kind (1-D audio, 2-D images, 3-D volumes). */
export const SPATIAL_DIMS: Readonly<Record<MediaKind, 1 | 2 | 3>> = { audio: 1, image: 2, volume: 3 };

/** What a frame carries besides its samples. Every field is optional; stages add what they need. */
export interface FrameMeta {
  /** Presentation index: frame number for images and video, first sample index for audio. */
  pts?: number;
  /** Audio sample rate in Hz. */
  sampleRate?: number;
  /** Volume voxel spacing in millimetres, one per spatial axis [D, H, W]. */
  spacing?: number[];
  /** Volume intensity window [lo, hi] mapped to [-0.5, 0.5]. */
  window?: [number, number];
  /** For derived frames (coeffs, latent, tokens): the media kind of the original signal. */
  source?: MediaKind;
  /** For derived frames: the original signal's shape [C, ...spatial] before any padding. */
  sourceShape?: number[];
  /** Reflect padding added per spatial axis, as [before, after] pairs, undone after synthesis. */
  pad?: Array<[number, number]>;
  /** Wavelet packet levels J and wavelet name of a coeffs/latent frame. */
  levels?: number;
  wavelet?: string;
  /** Id of the model that produced a latent or tokens frame. */
  model?: string;
  /** Quantization bits of an int8 latent. */
  bits?: number;
  /** Free-form, JSON-serialisable extras (source path, labels, …). */
  extra?: Record<string, unknown>;
}

export type FrameData = Float32Array | Int8Array | Uint8Array | Uint16Array;

export interface Frame<K extends FrameKind = FrameKind, D extends FrameData = FrameData> {
  readonly kind: K;
  /** Dimensions, slowest first; product equals `data.length`. */
  readonly shape: readonly number[];
  readonly data: D;
  readonly meta: FrameMeta;
}

export type ImageFrame = Frame<'image', Float32Array>;
export type AudioFrame = Frame<'audio', Float32Array>;
export type VolumeFrame = Frame<'volume', Float32Array>;
export type MediaFrame = ImageFrame | AudioFrame | VolumeFrame;
export type CoeffsFrame = Frame<'coeffs', Float32Array>;
export type LatentFrame = Frame<'latent', Float32Array | Int8Array>;
export type TokensFrame = Frame<'tokens', Uint16Array>;

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Makes a frame after checking that the shape is made of positive integers and matches the data.
 *
 * @example
 * const img = makeFrame('image', [3, 2, 2], new Float32Array(12), { pts: 0 });
 */
export function makeFrame<K extends FrameKind, D extends FrameData>(
  kind: K, shape: readonly number[], data: D, meta: FrameMeta = {},
): Frame<K, D> {
  if (!FRAME_KINDS.includes(kind)) throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'makeFrame', expected: FRAME_KINDS.join(', '), actual: JSON.stringify(kind) });
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `dimension ${d} in [${shape.join(', ')}] is not a positive integer` });
  }
  if (sizeOf(shape) !== data.length) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `shape [${shape.join(', ')}] holds ${sizeOf(shape)} values but the data has ${data.length}` });
  }
  return { kind, shape: Object.freeze([...shape]), data, meta };
}

/** Throws a coded error unless `frame.kind` is one of `kinds`; returns the frame narrowed. */
export function expectKind<K extends FrameKind>(frame: Frame, kinds: readonly K[], stage: string): Frame<K> {
  if (typeof frame !== 'object' || frame === null || typeof (frame as { kind?: unknown }).kind !== 'string') {
    const what = frame === null ? 'null' : typeof frame !== 'object' ? typeof frame : Buffer.isBuffer(frame) ? 'bytes (a Buffer)' : 'an object that is not a frame';
    throw werr('WALLOC_ERR_FRAME_KIND', { stage, expected: kinds.join(' or '), actual: what, hint: ' (frames come from makeFrame, readImage, a WlcReader or a stage)' });
  }
  if (!(kinds as readonly FrameKind[]).includes(frame.kind)) {
    throw werr('WALLOC_ERR_FRAME_KIND', { stage, expected: kinds.join(' or '), actual: frame.kind, hint: chainHint(kinds, frame.kind) });
  }
  return frame as Frame<K>;
}

/**
 * Where the kind a stage expects comes from in the codec chain (media → wpt → coeffs → analysis →
 * latent → quantize → pack → packed, and back through unpack, dequantize, synthesis, iwpt), so a
 * chain built by hand can be mended: a missing step goes in, or a stage in the wrong direction
 * comes out. '' for kinds outside that chain (tokens).
 */
function chainHint(expected: readonly FrameKind[], actual: FrameKind): string {
  const from = [...new Set(expected.map((k) => SOURCES[k]).filter((x): x is string => x !== undefined))];
  return from.length && actual !== 'tokens' ? `; ${expected.join(' or ')} frames come from ${from.join(' or ')}` : '';
}

const SOURCES: Partial<Record<FrameKind, string>> = {
  coeffs: 'wpt (media) or synthesis (latents)',
  latent: 'analysis=model=NAME (coeffs) or unpack (packed)',
  packed: 'pack (quantized latents) or load of a .wlc',
  image: 'load or iwpt (coeffs)',
  audio: 'load or iwpt (coeffs)',
  volume: 'load or iwpt (coeffs)',
};

/** The media kind a frame ultimately came from (itself for media frames). */
export function sourceKind(frame: Frame): MediaKind {
  if (frame.kind === 'image' || frame.kind === 'audio' || frame.kind === 'volume') return frame.kind;
  if (frame.meta.source === undefined) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${frame.kind} frame does not say what media it came from (meta.source)` });
  return frame.meta.source;
}
