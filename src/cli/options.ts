/** Parsing of numeric option values, shared by the commands: one message shape for every flag. */
import { werr } from '../errors.js';
import { MAX_PIXELS_CAP, MAX_SIDE_CAP, type ImageLimits } from '../io/limits.js';

/**
 * Parses an optional integer flag within [min, max]; undefined stays undefined.
 *
 * @example
 * intOption('4', 'effort', 0, 6); // 4
 * intOption('9', 'effort', 0, 6); // throws WALLOC_ERR_INVALID_ARGUMENT: --effort must be …
 */
export function intOption(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  return numberOption(v, name, min, max, true);
}

/** Parses a required number within [min, max] (integers only when `int`). */
export function numberOption(v: unknown, name: string, min: number, max: number, int = false): number {
  const x = Number(v);
  // Number() also reads '0x10', ' 5 ' and '0b11'; a flag value is written in decimal.
  if (typeof v !== 'number' && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(String(v))) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--${name} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got "${String(v)}"` });
  }
  if (v === '' || !Number.isFinite(x) || x < min || x > max || (int && !Number.isInteger(x))) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--${name} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got "${String(v)}"` });
  }
  return x;
}

/**
 * The frame-size limits every media command accepts (`--max-pixels`, `--max-side`), checked
 * against their hard caps; an absent flag leaves the default in place.
 *
 * @example
 * imageLimitOptions({ 'max-pixels': '4000000' }); // { maxPixels: 4000000, maxSide: undefined }
 */
export function imageLimitOptions(values: Record<string, unknown>): ImageLimits {
  return {
    maxPixels: intOption(values['max-pixels'], 'max-pixels', 1, MAX_PIXELS_CAP),
    maxSide: intOption(values['max-side'], 'max-side', 1, MAX_SIDE_CAP),
  };
}
