import t from 'tap';
import { cropImage } from '../../filters/f_crop.js';
import { convertPixels } from '../../filters/f_format.js';
import { scaleImage, scaledSize } from '../../filters/f_scale.js';
import { readImage } from '../../src/io/image.js';
import { makeFrame } from '../../src/frame.js';

t.test('crop cuts the rectangle ffmpeg would, centred by default', (tt) => {
  const data = Float32Array.from({ length: 2 * 4 * 5 }, (_, i) => i);
  const f = makeFrame('image', [2, 4, 5], data, { pts: 7 });
  const c = cropImage(f, { w: 2, h: 2, x: 1, y: 2 });
  tt.same([...c.shape], [2, 2, 2]);
  tt.same([...c.data], [11, 12, 16, 17, 31, 32, 36, 37]);
  tt.equal(c.meta.pts, 7);
  tt.same([...cropImage(f, { w: 3, h: 2 }).data.slice(0, 3)], [6, 7, 8], 'centred');
  tt.throws(() => cropImage(f, { w: 5, h: 4, x: 1 }), { code: 'WALLOC_ERR_FRAME_SHAPE', message: /does not fit/ });
  tt.throws(() => cropImage(makeFrame('audio', [1, 4], new Float32Array(4)), {}), { code: 'WALLOC_ERR_FRAME_KIND' });
  tt.end();
});

t.test('format converts between gray, rgb and rgba', (tt) => {
  const rgb = makeFrame('image', [3, 1, 2], Float32Array.of(0.5, -0.5, 0.5, -0.5, 0.5, -0.5));
  const g = convertPixels(rgb, 'gray');
  tt.same([...g.shape], [1, 1, 2]);
  tt.ok(Math.abs(g.data[0]! - 0.5) < 1e-6 && Math.abs(g.data[1]! + 0.5) < 1e-6, 'white stays white, black black');
  const red = convertPixels(makeFrame('image', [3, 1, 1], Float32Array.of(0.5, -0.5, -0.5)), 'gray');
  tt.ok(Math.abs(red.data[0]! - (0.299 - 0.5)) < 1e-6, 'BT.601 weights');
  tt.same([...convertPixels(g, 'rgb').shape], [3, 1, 2]);
  const rgba = convertPixels(rgb, 'rgba');
  tt.same([...rgba.data.slice(6)], [0.5, 0.5], 'opaque alpha');
  tt.same([...convertPixels(rgba, 'rgb').data], [...rgb.data]);
  tt.equal(convertPixels(rgb, 'rgb'), rgb, 'no copy when already right');
  tt.end();
});

t.test('scale: ffmpeg size conventions and a float-precision sharp resize', async (tt) => {
  tt.same(scaledSize(1920, 1080, 640, -1), [640, 360]);
  tt.same(scaledSize(1920, 1080, -2, 101), [180, 101]);
  tt.same(scaledSize(100, 50, 0, 20), [100, 20]);
  tt.throws(() => scaledSize(1, 1, -1, -1));
  const img = await readImage('fixtures/images/chelsea_128x96.png');
  const half = await scaleImage(img, 64, -1);
  tt.same([...half.shape], [3, 48, 64]);
  let mean0 = 0;
  let mean1 = 0;
  for (const v of img.data) mean0 += v;
  for (const v of half.data) mean1 += v;
  tt.ok(Math.abs(mean0 / img.data.length - mean1 / half.data.length) < 0.01, 'mean brightness is kept');
  tt.ok(half.data.every((v) => v > -0.6 && v < 0.6), 'values stay in range');
  tt.equal(await scaleImage(img, 0, 0), img, 'same size is a no-op');
  const flat = makeFrame('image', [1, 4, 4], new Float32Array(16).fill(0.1234567));
  const up = await scaleImage(flat, 8, 8, 'linear');
  tt.ok(up.data.every((v) => Math.abs(v - 0.1234567) < 2e-5), 'no 8-bit rounding');
  await tt.rejects(scaleImage(img, 65535, 65535), { code: 'WALLOC_ERR_LIMIT_EXCEEDED' }, 'a size over the frame limits is refused before libvips allocates it');
});
