/**
 * Filter banks, tap for tap as PyWavelets prints them (`pywt.Wavelet(name).dec_lo` …), because
 * WaLLoC's coefficients are only reproducible with exactly these numbers (DESIGN.md, "must match
 * the reference exactly"). The arrays keep pywt's zero padding so that the periodization index
 * formulas in `dwt.ts` (offset = length / 2) hold unchanged for every bank.
 */
import { werr } from '../errors.js';

/** A two-channel biorthogonal filter bank in PyWavelets' layout. */
export interface FilterBank {
  readonly name: WaveletName;
  /** Analysis low-pass, analysis high-pass, synthesis low-pass, synthesis high-pass. */
  readonly decLo: readonly number[];
  readonly decHi: readonly number[];
  readonly recLo: readonly number[];
  readonly recHi: readonly number[];
}

/** The wavelets walloc can run; bior4.4 is the one every WaLLoC model was trained with. */
export type WaveletName = 'bior4.4' | 'haar';

/** Names accepted by {@link filterBank}, in the order error messages list them. */
export const WAVELETS: readonly WaveletName[] = Object.freeze(['bior4.4', 'haar']);

// CDF 9/7 (JPEG 2000 lossy), as PyWavelets 1.1.1 prints bior4.4.
const B44_A = 0.03782845550726404;
const B44_B = 0.023849465019556843;
const B44_C = 0.11062440441843718;
const B44_D = 0.37740285561283066;
const B44_E = 0.8526986790088938;
const B44_F = 0.06453888262869706;
const B44_G = 0.04068941760916406;
const B44_H = 0.41809227322161724;
const B44_I = 0.7884856164055829;

const BIOR44: FilterBank = Object.freeze({
  name: 'bior4.4',
  decLo: Object.freeze([0, B44_A, -B44_B, -B44_C, B44_D, B44_E, B44_D, -B44_C, -B44_B, B44_A]),
  decHi: Object.freeze([0, -B44_F, B44_G, B44_H, -B44_I, B44_H, B44_G, -B44_F, 0, 0]),
  recLo: Object.freeze([0, -B44_F, -B44_G, B44_H, B44_I, B44_H, -B44_G, -B44_F, 0, 0]),
  recHi: Object.freeze([0, -B44_A, -B44_B, B44_C, B44_D, -B44_E, B44_D, B44_C, -B44_B, -B44_A]),
});

const S = Math.SQRT1_2; // pywt's haar tap, 0.7071067811865476
const HAAR: FilterBank = Object.freeze({
  name: 'haar',
  decLo: Object.freeze([S, S]),
  decHi: Object.freeze([-S, S]),
  recLo: Object.freeze([S, S]),
  recHi: Object.freeze([S, -S]),
});

const BANKS: Readonly<Record<WaveletName, FilterBank>> = Object.freeze({ 'bior4.4': BIOR44, haar: HAAR });

/**
 * True when `name` is a wavelet walloc implements.
 *
 * @example
 * isWaveletName('haar'); // true
 * isWaveletName('db4');  // false
 */
export function isWaveletName(name: unknown): name is WaveletName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(BANKS, name);
}

/**
 * Looks up a filter bank by its PyWavelets name; unknown names are a coded usage error so that a
 * typo in a filter graph (`wpt=wavelet=bior44`) says what is available.
 *
 * @example
 * const { decLo } = filterBank('bior4.4');
 * decLo.reduce((a, b) => a + b); // ≈ Math.SQRT2
 */
export function filterBank(name: string): FilterBank {
  if (!isWaveletName(name)) throw werr('WALLOC_ERR_WAVELET_UNKNOWN', { wavelet: name, known: WAVELETS.join(', ') });
  return BANKS[name];
}
