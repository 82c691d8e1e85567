/**
 * Wavelet filter banks and the 1-D/2-D/3-D periodized wavelet packet transform WaLLoC is built on.
 *
 * @example
 * import { wptAnalysis, wptSynthesis } from './wavelets/index.js';
 * const c = wptAnalysis(img, [3, 64, 64], 3, 'bior4.4');   // [192, 8, 8]
 * const back = wptSynthesis(c.data, c.shape, 3, 'bior4.4'); // [3, 64, 64]
 */
export { filterBank, isWaveletName, WAVELETS, type FilterBank, type WaveletName } from './filters.js';
export { analyzeAxis, synthesizeAxis, dwtAxis, idwtAxis, dwt, idwt, dwtScratch, type WaveletLike } from './dwt.js';
export { wptAnalysis, wptSynthesis, checkLevels, MAX_LEVELS, type PacketOptions } from './packet.js';
export { padFor, padReflect, cropPad, reflectIndex } from './pad.js';
