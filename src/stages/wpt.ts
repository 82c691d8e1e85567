/**
 * The wavelet packet stage, forward (`wpt`) and inverse (`iwpt`): media frames ⇄ `coeffs` frames.
 *
 *   image  [C, H, W]     → coeffs [C·4^J, H'/2^J, W'/2^J]
 *   audio  [C, L]        → coeffs [C·2^J, L'/2^J]
 *   volume [C, D, H, W]  → coeffs [C·8^J, D'/2^J, H'/2^J, W'/2^J]
 *
 * where ' marks the length after centred reflect padding to a multiple of 2^J. The coeffs frame's
 * meta records source kind, sourceShape, pad, levels and wavelet, which is all `iwpt` needs to
 * return exactly the original shape; every other meta field (pts, sampleRate, …) passes through.
 */
import { werr } from '../errors.js';
import { expectKind, makeFrame, SPATIAL_DIMS, type CoeffsFrame, type Frame, type FrameMeta, type MediaFrame, type MediaKind } from '../frame.js';
import { filterBank, type WaveletName } from '../wavelets/filters.js';
import { checkLevels, wptAnalysis, wptSynthesis } from '../wavelets/packet.js';
import { cropPad, padFor, padReflect } from '../wavelets/pad.js';

/** Options of the forward stage (`wpt=levels=3:wavelet=bior4.4` in a filter graph). */
export interface WptOptions {
  /** Packet levels J (1..12). Default: WaLLoC's per modality, 3 for images and volumes, 8 for audio. */
  levels?: number;
  /** Wavelet name; default 'bior4.4', the one WaLLoC models use. */
  wavelet?: string;
}

/** J used when none is given, as in WaLLoC's released models (RGB J=3, stereo J=8). */
export const DEFAULT_LEVELS: Readonly<Record<MediaKind, number>> = Object.freeze({ image: 3, audio: 8, volume: 3 });

/**
 * Padding may at most multiply a frame's size by this much; beyond it the levels are wrong for the
 * signal (e.g. J=8 on a 16×24 image would be 170× larger) and we say so instead of allocating.
 */
export const MAX_PAD_GROWTH = 8;
/** Padded frames up to this many values are allowed whatever their growth (tiny images). */
export const SMALL_PADDED_VALUES = 2 ** 12;
/** Values a padded frame may hold (2 GiB of float32): beyond it the transform cannot allocate. */
export const MAX_PADDED_VALUES = 2 ** 29;

const MEDIA: readonly MediaKind[] = ['image', 'audio', 'volume'];

export function resolveOptions(opts: WptOptions, kind?: MediaKind): { levels: number; wavelet: WaveletName } {
  const wavelet = filterBank(opts.wavelet ?? 'bior4.4').name;
  const levels = opts.levels ?? (kind === undefined ? 1 : DEFAULT_LEVELS[kind]);
  return { levels: checkLevels(levels), wavelet };
}

/**
 * Forward wavelet packet transform of one image, audio or volume frame.
 *
 * @example
 * const img = makeFrame('image', [3, 1080, 1920], pixels, { pts: 0 });
 * const c = wptForward(img, { levels: 4 }); // c.shape [768, 68, 120], c.meta.pad [[4, 4], [0, 0]]
 */
export function wptForward(frame: Frame, opts: WptOptions = {}): CoeffsFrame {
  const media = expectKind(frame, MEDIA, 'wpt') as MediaFrame;
  const kind = media.kind;
  const d = SPATIAL_DIMS[kind];
  if (media.shape.length !== d + 1) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${kind} frame must be [C, ${['L', 'H, W', 'D, H, W'][d - 1]}], got [${media.shape.join(', ')}]` });
  }
  if (!(media.data instanceof Float32Array)) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${kind} frame data must be a Float32Array` });
  const { levels, wavelet } = resolveOptions(opts, kind);
  const step = 2 ** levels;
  const spatial = media.shape.slice(1);
  const pads = spatial.map((n) => padFor(n, step));
  let padded = media.shape[0]!, source = media.shape[0]!;
  for (let i = 0; i < d; i++) {
    padded *= spatial[i]! + pads[i]![0] + pads[i]![1];
    source *= spatial[i]!;
  }
  // Growth is only a sign of wrong levels for frames of some size: a tiny frame (a 1×1 image pads
  // to 8×8 at J=3) is cheap whatever the ratio.
  if ((padded > MAX_PAD_GROWTH * source && padded > SMALL_PADDED_VALUES) || padded > MAX_PADDED_VALUES) {
    throw werr('WALLOC_ERR_WAVELET_LEVELS', {
      levels,
      reason: `padding [${spatial.join(', ')}] to multiples of 2^J = ${step} would make ${padded} values from ${source} (limit ${MAX_PAD_GROWTH}× and ${MAX_PADDED_VALUES}); use fewer levels`,
    });
  }
  const p = padReflect(media.data, media.shape, pads);
  // The padded copy is ours, so it can double as the packet transform's ping-pong buffer.
  const c = wptAnalysis(p.data, p.shape, levels, wavelet, p.data !== media.data ? { scratch: p.data } : {});
  const meta: FrameMeta = { ...media.meta, source: kind, sourceShape: [...media.shape], pad: pads, levels, wavelet };
  return makeFrame('coeffs', c.shape, c.data, meta);
}

/**
 * Inverse wavelet packet transform: a coeffs frame made by {@link wptForward} (or a decoder that
 * kept its meta) back to the media frame, padding cropped.
 *
 * @example
 * const img = wptInverse(wptForward(frame, { levels: 3 })); // same shape as frame, max error ~1e-6
 */
export function wptInverse(frame: Frame): MediaFrame {
  const c = expectKind(frame, ['coeffs'], 'iwpt') as CoeffsFrame;
  const { source, sourceShape, pad, levels, wavelet, ...rest } = c.meta;
  const bad = (reason: string): never => { throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `iwpt: ${reason}` }); };
  if (source === undefined || !MEDIA.includes(source)) return bad(`meta.source is ${String(source)}, not image, audio or volume`);
  const J = checkLevels(levels);
  const bank = filterBank(wavelet ?? 'bior4.4');
  const d = SPATIAL_DIMS[source];
  if (!(c.data instanceof Float32Array)) return bad('coeffs data must be a Float32Array');
  if (c.shape.length !== d + 1) return bad(`${source} coefficients must have ${d + 1} axes, got [${c.shape.join(', ')}]`);
  if (!Array.isArray(sourceShape) || sourceShape.length !== d + 1) return bad(`meta.sourceShape ${JSON.stringify(sourceShape)} does not fit a ${source}`);
  const pads: Array<[number, number]> = Array.isArray(pad) ? pad : new Array(d).fill(0).map(() => [0, 0] as [number, number]);
  if (pads.length !== d) return bad(`meta.pad ${JSON.stringify(pad)} does not have ${d} [before, after] pairs`);
  const step = 2 ** J;
  const expected = [sourceShape[0]! * (2 ** d) ** J, ...sourceShape.slice(1).map((n, i) => (n + pads[i]![0] + pads[i]![1]) / step)];
  if (expected.some((v, i) => v !== c.shape[i])) {
    return bad(`coefficients [${c.shape.join(', ')}] do not match source [${sourceShape.join(', ')}] padded by ${JSON.stringify(pads)} at J=${J} (expected [${expected.join(', ')}])`);
  }
  const s = wptSynthesis(c.data, c.shape, J, bank);
  const out = cropPad(s.data, s.shape, pads);
  return makeFrame(source, out.shape, out.data, rest) as MediaFrame;
}
