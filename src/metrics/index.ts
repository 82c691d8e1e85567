/**
 * Image quality and rate metrics, with the conventions of CompressAI's evaluation so that walloc's
 * numbers sit beside published ones: PSNR and MS-SSIM on 8-bit RGB per image, then averaged;
 * SSIM as Wang et al. 2004 / scikit-image; bpp on original pixels; throughput in MP/s.
 *
 * @example
 * import { psnr, ssim, msSsim, bpp } from './metrics/index.js';
 * const orig = { data: rgb, width, height, channels: 3 };
 * const row = {
 *   bpp: bpp(wlc.length, width, height),
 *   'psnr-rgb': psnr(orig, decodedFrame),
 *   'ms-ssim-rgb': msSsim(orig, decodedFrame).value,
 * };
 */
export { pixelSource, pairSources, lumaReader, frameToPlanar8, LUMA_601 } from './pixels.js';
export type { PixelImage, MetricImage, ReadOptions, RowReader, PixelSource } from './pixels.js';
export { mse, psnr, psnrFromMse, meanPsnr } from './psnr.js';
export { ssim, ssimPerChannel, ssimPlane, gaussianWindow } from './ssim.js';
export type { SsimOptions, SsimMode, SsimConstants, PlaneSsim } from './ssim.js';
export { msSsim, msSsimDb, msSsimScales, MS_SSIM_WEIGHTS } from './msssim.js';
export type { MsSsimResult, MsSsimOptions } from './msssim.js';
export { bpp, compressionRatio, ratioFromBpp, meanBpp, pixelWeightedRatio } from './rate.js';
export type { RateItem } from './rate.js';
export { megapixelsPerSecond, timed, median, measureThroughput } from './throughput.js';
export type { Throughput, ThroughputOptions } from './throughput.js';
