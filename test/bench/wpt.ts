/**
 * Wavelet packet throughput: 2-D J=3 forward/inverse on a 1920×1080 RGB frame and 1-D J=8 on 10 s
 * of 48 kHz stereo, against sharp (libvips) doing a comparable separable filtering of the same
 * data in the same run: a float Gaussian blur whose mask is 9 taps wide, like bior4.4's longest
 * filter. Note that one packet level already filters every sample along each axis, and J levels
 * do it J times (the full tree keeps all samples at every level), so the WPT does J× the peer's
 * work; sharp is pinned to one thread to match our single-threaded transform. The 2-D forward
 * and inverse are timed on both the WebAssembly SIMD kernels (the default) and the JS ones.
 */
import sharp from 'sharp';
import { makeFrame } from '../../src/frame.js';
import { wptForward, wptInverse } from '../../transforms/wpt.js';
import { wptAnalysis, wptSynthesis } from '../../src/wavelets/packet.js';
import { simdAvailable } from '../../src/simd/kernels.js';
import { type BenchTable, timeMedian } from './table.js';

function signal(n: number): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = 0.4 * Math.sin(i * 0.001) + (s / 2 ** 32 - 0.5) * 0.2;
  }
  return x;
}

// sigma chosen so that minAmplitude 0.01 gives a mask of radius 4, i.e. 9 taps.
const BLUR = { sigma: 1.3, minAmplitude: 0.01, precision: 'float' as const };

async function peerBlur(data: Float32Array, width: number, height: number, channels: 1 | 2 | 3): Promise<void> {
  await sharp(data, { raw: { width, height, channels } }).blur(BLUR).raw({ depth: 'float' }).toBuffer();
}

/**
 * Runs the benchmark and returns one table (used by `npm run bench`).
 *
 * @example
 * const table = await bench(); // rows: 2-D forward, 2-D inverse, 1-D forward, 1-D inverse
 */
export async function bench(): Promise<BenchTable> {
  const threads = sharp.concurrency();
  sharp.concurrency(1);
  try {
    const W = 1920, H = 1080;
    // Interleaved RGB for sharp, planar CHW for walloc: same values, each in its native layout.
    const planar = signal(3 * W * H);
    const interleaved = new Float32Array(3 * W * H);
    for (let c = 0; c < 3; c++) for (let i = 0; i < W * H; i++) interleaved[i * 3 + c] = planar[c * W * H + i]!;
    const img = makeFrame('image', [3, H, W], planar);
    const coeffs = wptForward(img, { levels: 3 });
    const fwd2 = await timeMedian(() => wptForward(img, { levels: 3 }), { reps: 7, warmup: 2 });
    const fwd2js = await timeMedian(() => wptAnalysis(planar, [3, H, W], 3, 'bior4.4', { simd: false }), { reps: 7, warmup: 2 });
    const inv2 = await timeMedian(() => wptInverse(coeffs), { reps: 7, warmup: 2 });
    const inv2js = await timeMedian(() => wptSynthesis(coeffs.data, coeffs.shape, 3, 'bior4.4', { simd: false }), { reps: 7, warmup: 2 });
    const peer2 = await timeMedian(() => peerBlur(interleaved, W, H, 3), { reps: 7, warmup: 2 });
    const mp = (W * H) / 1e6;

    const L = 480_000;
    const audioPlanar = signal(2 * L);
    const audioInterleaved = new Float32Array(2 * L);
    for (let c = 0; c < 2; c++) for (let i = 0; i < L; i++) audioInterleaved[i * 2 + c] = audioPlanar[c * L + i]!;
    const audio = makeFrame('audio', [2, L], audioPlanar, { sampleRate: 48000 });
    const acoeffs = wptForward(audio, { levels: 8 });
    const fwd1 = await timeMedian(() => wptForward(audio, { levels: 8 }), { reps: 7, warmup: 2 });
    const inv1 = await timeMedian(() => wptInverse(acoeffs), { reps: 7, warmup: 2 });
    // A 1-row, 2-channel "image": the blur's vertical pass over one row is next to free.
    const peer1 = await timeMedian(() => peerBlur(audioInterleaved, L, 1, 2), { reps: 7, warmup: 2 });
    const ms = (2 * L) / 1e6;

    const row = (what: string, unit: string, amount: number, ours: number, peer: number): Array<string | number> =>
      [what, unit, amount / (ours / 1e3), amount / (peer / 1e3), (amount / ours) / (amount / peer)];
    return {
      title: 'Wavelet packet transform (bior4.4, periodization) vs sharp 9-tap float Gaussian blur',
      columns: ['workload', 'unit', 'walloc', 'sharp blur', 'walloc ÷ sharp'],
      rows: [
        row(`2-D J=3 forward, 1920×1080 RGB${simdAvailable() ? ' (WebAssembly SIMD)' : ' (SIMD unavailable: JS)'}`, 'MP/s', mp, fwd2, peer2),
        row('2-D J=3 forward, 1920×1080 RGB, JS kernels', 'MP/s', mp, fwd2js, peer2),
        row(`2-D J=3 inverse, 1920×1080 RGB${simdAvailable() ? ' (WebAssembly SIMD)' : ' (SIMD unavailable: JS)'}`, 'MP/s', mp, inv2, peer2),
        row('2-D J=3 inverse, 1920×1080 RGB, JS kernels', 'MP/s', mp, inv2js, peer2),
        row('1-D J=8 forward, 10 s 48 kHz stereo', 'Msamples/s', ms, fwd1, peer1),
        row('1-D J=8 inverse, 10 s 48 kHz stereo', 'Msamples/s', ms, inv1, peer1),
      ],
      notes: [
        'the 2-D transforms run on the WebAssembly SIMD kernels (wasm/kernels.wat, float32) when available; the JS rows are the float64 kernels they replace',
        'single thread both sides (sharp.concurrency(1)); medians of 7 runs after 2 warm-ups',
        'walloc J levels each filter every sample (full packet tree): J=3 is 3 separable passes per axis, J=8 is 8, the blur one',
        'audio samples counted per channel (2 × 480,000 per run); the peer blurs them as a 480000×1 two-channel float image',
      ],
    };
  } finally {
    sharp.concurrency(threads);
  }
}
