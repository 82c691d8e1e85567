import t from 'tap';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeFrame, type Frame } from '../../src/frame.js';
import { DEFAULT_LEVELS, iwpt, wpt, wptForward, wptInverse } from '../../transforms/wpt.js';
import { wptAnalysis } from '../../src/wavelets/packet.js';
import { maxAbsDiff, noise, throwsCode } from '../src/wavelets/fixtures.js';

const TOL = 1e-5;

t.test('forward then inverse reproduces odd and non-power-of-two frames of every kind', (tt) => {
  const frames: Frame[] = [
    makeFrame('image', [3, 17, 30], noise(3 * 17 * 30, 1), { pts: 4, extra: { label: 'cat' } }),
    makeFrame('image', [1, 1, 1], new Float32Array([0.25]), {}),
    makeFrame('audio', [2, 1001], noise(2 * 1001, 2), { sampleRate: 48000, pts: 96000 }),
    makeFrame('volume', [2, 5, 9, 14], noise(2 * 5 * 9 * 14, 3), { spacing: [1, 0.5, 0.5] }),
  ];
  for (const f of frames) {
    for (const wavelet of ['bior4.4', 'haar']) {
      const maxJ = f.kind === 'audio' ? 8 : f.shape[1] === 1 ? 1 : 3;
      for (let levels = 1; levels <= maxJ; levels++) {
        const c = wptForward(f, { levels, wavelet });
        const d = f.shape.length - 1;
        tt.equal(c.kind, 'coeffs');
        tt.equal(c.shape[0], f.shape[0]! * 2 ** (d * levels));
        tt.equal(c.meta.source, f.kind);
        tt.same(c.meta.sourceShape, f.shape);
        tt.equal(c.meta.levels, levels);
        tt.equal(c.meta.wavelet, wavelet);
        for (let a = 1; a <= d; a++) {
          const [b, e] = c.meta.pad![a - 1]!;
          tt.equal((f.shape[a]! + b + e) / 2 ** levels, c.shape[a], 'padded to a multiple of 2^J');
          tt.equal(b, Math.floor((b + e) / 2), 'centred');
        }
        const back = wptInverse(c);
        tt.equal(back.kind, f.kind);
        tt.same(back.shape, f.shape);
        tt.same(back.meta, f.meta, 'wavelet meta removed, the rest passes through');
        const err = maxAbsDiff(back.data, f.data);
        tt.ok(err <= TOL, `${f.kind} [${f.shape.join(', ')}] ${wavelet} J=${levels}: err ${err.toExponential(2)}`);
      }
    }
  }
  tt.end();
});

t.test('coefficients of an unpadded frame are the packet transform itself', (tt) => {
  const x = noise(3 * 16 * 24, 9);
  const c = wptForward(makeFrame('image', [3, 16, 24], x), { levels: 3 });
  tt.same(c.meta.pad, [[0, 0], [0, 0]]);
  tt.equal(maxAbsDiff(c.data, wptAnalysis(x, [3, 16, 24], 3, 'bior4.4').data), 0);
  tt.end();
});

t.test('defaults follow WaLLoC: bior4.4, J=3 for images, J=8 for audio', (tt) => {
  tt.same(DEFAULT_LEVELS, { image: 3, audio: 8, volume: 3 });
  const c = wptForward(makeFrame('audio', [2, 512], noise(1024)));
  tt.same(c.shape, [512, 2]);
  tt.equal(c.meta.wavelet, 'bior4.4');
  tt.same(wptForward(makeFrame('image', [3, 8, 8], noise(192))).shape, [192, 1, 1]);
  const dot = makeFrame('image', [3, 1, 1], Float32Array.from([0.1, -0.2, 0.3]));
  const back = wptInverse(wptForward(dot, { levels: 3 }));
  tt.same(back.shape, [3, 1, 1], 'a 1×1 image pads to 8×8 (64× growth, but 192 values) and back');
  tt.ok(back.data.every((v, i) => Math.abs(v - dot.data[i]!) < 1e-5));
  tt.end();
});

t.test('errors are coded', (tt) => {
  const img = makeFrame('image', [1, 16, 24], noise(384));
  for (const levels of [0, 13, 2.5]) throwsCode(tt, () => wptForward(img, { levels }), 'WALLOC_ERR_WAVELET_LEVELS', `levels ${levels}`);
  throwsCode(tt, () => wptForward(img, { levels: 8 }), 'WALLOC_ERR_WAVELET_LEVELS', 'absurd padding (16×24 → 256×256)');
  throwsCode(tt, () => wptForward(img, { wavelet: 'db4' }), 'WALLOC_ERR_WAVELET_UNKNOWN');
  throwsCode(tt, () => wptForward(makeFrame('tokens', [4], new Uint16Array(4))), 'WALLOC_ERR_FRAME_KIND', 'wpt on tokens');
  throwsCode(tt, () => wptInverse(img), 'WALLOC_ERR_FRAME_KIND', 'iwpt on an image');
  throwsCode(tt, () => wptForward(makeFrame('image', [16, 24], noise(384))), 'WALLOC_ERR_FRAME_SHAPE', '2-D image');
  const c = wptForward(img, { levels: 2 });
  throwsCode(tt, () => wptInverse(makeFrame('coeffs', c.shape, c.data, { ...c.meta, source: undefined })), 'WALLOC_ERR_FRAME_SHAPE', 'no source');
  throwsCode(tt, () => wptInverse(makeFrame('coeffs', c.shape, c.data, { ...c.meta, levels: 3 })), 'WALLOC_ERR_FRAME_SHAPE', 'levels disagree with shape');
  throwsCode(tt, () => wptInverse(makeFrame('coeffs', c.shape, c.data, { ...c.meta, levels: undefined })), 'WALLOC_ERR_WAVELET_LEVELS', 'no levels');
  throwsCode(tt, () => wptInverse(makeFrame('coeffs', c.shape, c.data, { ...c.meta, wavelet: 'coif1' })), 'WALLOC_ERR_WAVELET_UNKNOWN');
  throwsCode(tt, () => wpt({ levels: 20 }), 'WALLOC_ERR_WAVELET_LEVELS', 'stage options checked at construction');
  throwsCode(tt, () => wpt({ wavelet: 'nope' }), 'WALLOC_ERR_WAVELET_UNKNOWN', 'stage options checked at construction');
  tt.end();
});

t.test('wpt and iwpt stages work in a stream/promises pipeline', async (tt) => {
  const frames = [
    makeFrame('image', [3, 20, 33], noise(3 * 20 * 33, 5), { pts: 0 }),
    makeFrame('image', [3, 20, 33], noise(3 * 20 * 33, 6), { pts: 1 }),
    makeFrame('audio', [2, 777], noise(1554, 7), { sampleRate: 44100 }),
    makeFrame('volume', [1, 8, 8, 16], noise(1024, 8)),
  ];
  const out: Frame[] = [];
  const kinds: string[] = [];
  await pipeline(
    Readable.from(frames),
    wpt({ levels: 2 }),
    new Transform({ objectMode: true, transform(f: Frame, _e, cb) { kinds.push(f.kind); cb(null, f); } }),
    iwpt(),
    new Writable({ objectMode: true, write(f: Frame, _e, cb) { out.push(f); cb(); } }),
  );
  tt.same(kinds, ['coeffs', 'coeffs', 'coeffs', 'coeffs']);
  tt.equal(out.length, frames.length);
  out.forEach((f, i) => {
    tt.equal(f.kind, frames[i]!.kind);
    tt.same(f.shape, frames[i]!.shape);
    tt.same(f.meta, frames[i]!.meta);
    tt.ok(maxAbsDiff(f.data as Float32Array, frames[i]!.data as Float32Array) <= TOL);
  });
});

t.test('a wrong frame kind fails the pipeline with a coded error', async (tt) => {
  await tt.rejects(
    pipeline(Readable.from([makeFrame('latent', [4], new Float32Array(4))]), wpt(), new Writable({ objectMode: true, write(_f, _e, cb) { cb(); } })),
    { code: 'WALLOC_ERR_FRAME_KIND' },
  );
  await tt.rejects(
    pipeline(Readable.from([makeFrame('image', [1, 4, 4], new Float32Array(16))]), iwpt(), new Writable({ objectMode: true, write(_f, _e, cb) { cb(); } })),
    { code: 'WALLOC_ERR_FRAME_KIND' },
  );
});
