/**
 * Training augmentation: the option parser and what a flip and a shift do to real pixels.
 */
import t from 'tap';
import { applyAugment, augmentImage, augments, augmentText, drawAugment, parseAugment } from '../../../src/classify/augment.js';
import { greyFrame, hasFashionMnist, loadFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { makeFrame, type ImageFrame } from '../../../src/frame.js';
import { rng } from '../../../src/math/random.js';

t.test('parseAugment: flip, shift=S, none; anything else is a coded error', async (t) => {
  t.same(parseAugment('flip,shift=2'), { flip: true, shift: 2 });
  t.same(parseAugment('none'), { flip: false, shift: 0 });
  t.same(parseAugment('shift=3'), { flip: false, shift: 3 });
  t.equal(augmentText(parseAugment('shift=1,flip')), 'flip,shift=1');
  t.notOk(augments(parseAugment('none')));
  for (const bad of ['rotate', 'shift=-1', 'shift=99', 'flip,,']) t.throws(() => parseAugment(bad), { code: 'WALLOC_ERR_INVALID_ARGUMENT' }, bad);
});

t.test('augmentImage: a flip mirrors every row, a shift moves the content and repeats the edge', async (t) => {
  const w = 5;
  const img = makeFrame('image', [2, 3, w], Float32Array.from({ length: 30 }, (_, i) => i), {}) as ImageFrame;
  // Seeds chosen by search so that the draws give the wanted transforms; the asserts check the pixels.
  let flipped: ImageFrame | undefined;
  for (let s = 1; s < 200 && !flipped; s++) {
    const out = augmentImage(img, { flip: true, shift: 0 }, rng(s));
    if (out !== img) flipped = out;
  }
  t.ok(flipped, 'some seed flips');
  for (let c = 0; c < 2; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < w; x++) t.equal(flipped!.data[c * 15 + y * w + x], img.data[c * 15 + y * w + (w - 1 - x)]);
  let moved = 0;
  for (let s = 1; s < 50; s++) {
    const out = augmentImage(img, { flip: false, shift: 1 }, rng(s));
    if (out === img) continue;
    moved++;
    // Every output pixel is an input pixel of the same channel at most 1 away on each axis.
    for (let c = 0; c < 2; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < w; x++) {
      const v = out.data[c * 15 + y * w + x]!;
      const sy = Math.floor((v - c * 15) / w);
      const sx = (v - c * 15) % w;
      t.ok(v >= c * 15 && v < (c + 1) * 15 && Math.abs(sy - y) <= 1 && Math.abs(sx - x) <= 1, `pixel (${c},${y},${x}) from (${sy},${sx})`);
    }
  }
  t.ok(moved > 30, `most draws move the image (${moved}/49)`);
});

t.test('drawAugment + applyAugment: a draw kept replays the same image (how the teacher sees the student\'s epoch)', async (t) => {
  const img = makeFrame('image', [1, 6, 6], Float32Array.from({ length: 36 }, (_, i) => i * i), {}) as ImageFrame;
  const a = { flip: true, shift: 2 };
  const seenDx = new Set<number>();
  for (let s = 1; s < 40; s++) {
    const d = drawAugment(a, rng(s));
    t.ok(Math.abs(d.dx) <= 2 && Math.abs(d.dy) <= 2, `draw ${JSON.stringify(d)} within the shift`);
    seenDx.add(d.dx);
    t.same(applyAugment(img, d).data, augmentImage(img, a, rng(s)).data, `seed ${s}: same pixels as augmentImage`);
  }
  t.equal(seenDx.size, 5, 'every shift from −2 to 2 is drawn');
  t.equal(applyAugment(img, { flip: false, dx: 0, dy: 0 }), img, 'nothing to do: the frame itself');
});

t.test('augmentImage on a real garment keeps its energy and range', { skip: hasFashionMnist() ? false : 'Fashion-MNIST is not installed' }, async (t) => {
  const set = loadFashionMnist('test', { limit: 3 });
  const next = rng(7);
  for (let i = 0; i < 3; i++) {
    const f = greyFrame(set, i);
    const g = augmentImage(f, { flip: true, shift: 2 }, next);
    const sum = (a: Float32Array) => a.reduce((s, v) => s + v + 0.5, 0);
    // Fashion-MNIST's border is background, so a 2-pixel shift keeps almost all of the garment.
    t.ok(Math.abs(sum(g.data) - sum(f.data)) / sum(f.data) < 0.1, `image ${i}: mass kept`);
    t.ok(Math.min(...g.data) >= -0.5 && Math.max(...g.data) <= 0.5);
  }
});
