import t from 'tap';
import fc from 'fast-check';
import { isWallocError } from '../../../src/errors.js';
import {
  DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE, MAX_PIXELS_CAP, MAX_SIDE_CAP, checkImageSize, limitExceeded, resolveImageLimits,
} from '../../../src/io/limits.js';

t.test('defaults and overrides', async (t) => {
  t.same(resolveImageLimits(), { maxSide: DEFAULT_MAX_SIDE, maxPixels: DEFAULT_MAX_PIXELS });
  t.equal(DEFAULT_MAX_PIXELS, 268_402_689, 'sharp\'s default limitInputPixels');
  t.ok(3 * MAX_PIXELS_CAP < 2 ** 32, 'a frame at the cap still fits one Float32Array');
  t.same(resolveImageLimits({ maxPixels: 10 }), { maxSide: DEFAULT_MAX_SIDE, maxPixels: 10 });
  t.same(resolveImageLimits({ maxSide: MAX_SIDE_CAP, maxPixels: MAX_PIXELS_CAP }), { maxSide: MAX_SIDE_CAP, maxPixels: MAX_PIXELS_CAP });
  for (const bad of [0, -1, 1.5, NaN, MAX_PIXELS_CAP + 1]) {
    t.throws(() => resolveImageLimits({ maxPixels: bad }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--max-pixels \(limits\.maxPixels\) must be an integer from 1 to/ }, `maxPixels ${bad}`);
  }
  t.throws(() => resolveImageLimits({ maxSide: MAX_SIDE_CAP + 1 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--max-side/ });
});

t.test('checkImageSize names the flag and the API option that raise the limit', async (t) => {
  t.doesNotThrow(() => checkImageSize(1920, 1080));
  t.doesNotThrow(() => checkImageSize(DEFAULT_MAX_SIDE, 1));
  t.doesNotThrow(() => checkImageSize(16_383, 16_383), 'exactly the default pixel limit');
  t.throws(() => checkImageSize(100_000, 100_000, {}, 'big.png'), {
    code: 'WALLOC_ERR_LIMIT_EXCEEDED',
    message: 'width of 100000 exceeds the limit of 65535 (raise it with --max-side, or limits.maxSide in the API, up to 1048576)',
    details: { flag: '--max-side', option: 'limits.maxSide', cap: 1048576, source: 'big.png' },
  });
  t.throws(() => checkImageSize(10, 70_000), { message: /^height of 70000/ });
  t.throws(() => checkImageSize(16_384, 16_384), {
    code: 'WALLOC_ERR_LIMIT_EXCEEDED',
    message: 'pixels per frame (16384×16384) of 268435456 exceeds the limit of 268402689 (raise it with --max-pixels, or limits.maxPixels in the API, up to 1073741824)',
  });
  t.throws(() => checkImageSize(4000, 3000, { maxPixels: 1_000_000 }), { code: 'WALLOC_ERR_LIMIT_EXCEEDED', details: { flag: '--max-pixels', limit: 1_000_000 } });
  t.equal(limitExceeded('PNG slice bytes', 9, 8).message, 'PNG slice bytes of 9 exceeds the limit of 8 (a fixed limit)', 'a limit with no way up says so');
  for (const [w, h] of [[0, 0], [0, 5], [5, 0], [-1, 4], [2.5, 2], [NaN, 1]]) {
    t.throws(() => checkImageSize(w!, h!, {}, 'x.y4m'), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /^x\.y4m: unsupported input \(image size/ }, `${w}×${h}`);
  }
});

t.test('property: a size passes exactly when both sides and the product are within the limits', async () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4_000_000 }), (w, h, maxSide, maxPixels) => {
    let ok = true;
    try {
      checkImageSize(w, h, { maxSide, maxPixels });
    } catch (e) {
      if (!isWallocError(e, 'WALLOC_ERR_LIMIT_EXCEEDED')) throw e;
      ok = false;
    }
    return ok === (w <= maxSide && h <= maxSide && w * h <= maxPixels);
  }));
});
