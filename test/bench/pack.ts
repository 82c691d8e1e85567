/**
 * Benchmark of the pack stage: int8 latents of one 1080p frame at J = 3 (12 × 135 × 240 =
 * 388,800 values, WaLLoC's rgb-16x shape) packed and unpacked as lossless WebP and PNG through
 * sharp, beside a peer measured in the same run: zlib `deflateSync` level 6 of the raw bytes.
 *
 * MB/s counts raw latent bytes (one per value) per second, so every row is comparable. The
 * latents are synthetic but shaped like real ones: smooth fields whose amplitude falls with the
 * channel index (the energy order of a PCA encoder) plus ±1 rounding noise, deterministic.
 * Each time is the median of REPS runs after one warm-up.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { packLatents, unpackLatents, type PackOptions } from '../../transforms/pack.js';

const SHAPE = [12, 135, 240] as const;
const REPS = 5;

/**
 * Deterministic smooth latents with rounding noise, in ±127.
 *
 * @example
 * const q = syntheticLatents([12, 135, 240]); // Int8Array of 388,800 values
 */
export function syntheticLatents(shape: readonly number[] = SHAPE): Int8Array {
  const [N, H, W] = shape as [number, number, number];
  const q = new Int8Array(N * H * W);
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let k = 0; k < N; k++) {
    const amp = 90 / (1 + 0.6 * k);
    const fx = [rnd() * 0.2, rnd() * 0.05, rnd() * 0.5];
    const fy = [rnd() * 0.2, rnd() * 0.05, rnd() * 0.5];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v = 0;
        for (let m = 0; m < 3; m++) v += Math.sin(x * (fx[m] as number) + m) * Math.cos(y * (fy[m] as number) + 2 * m) / (1 + m);
        v = amp * v * 0.6 + (rnd() - 0.5) * 2;
        q[(k * H + y) * W + x] = Math.max(-127, Math.min(127, Math.round(v)));
      }
    }
  }
  return q;
}

async function median(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const mbps = (bytes: number, ms: number): number => Number((bytes / 1e6 / (ms / 1000)).toFixed(1));

/**
 * Runs the benchmark and returns a table.
 *
 * @example
 * const { title, columns, rows } = await bench();
 */
export async function bench(): Promise<{ title: string; columns: string[]; rows: (string | number)[][] }> {
  const q = syntheticLatents();
  const raw = q.length;
  const rows: (string | number)[][] = [];
  const configs: Array<[string, PackOptions]> = [
    ['walloc pack webp effort 0', { format: 'webp', effort: 0 }],
    ['walloc pack webp effort 4 (default)', { format: 'webp' }],
    ['walloc pack webp effort 6', { format: 'webp', effort: 6 }],
    ['walloc pack png level 6 (default)', { format: 'png' }],
    ['walloc pack png level 9', { format: 'png', compressionLevel: 9 }],
  ];
  for (const [name, options] of configs) {
    const packed = await packLatents(q, SHAPE, options);
    const back = await unpackLatents(packed.data, packed.info);
    if (!back.every((v, i) => v === q[i])) throw new Error(`${name}: not bit-exact`);
    const tp = await median(() => packLatents(q, SHAPE, options));
    const tu = await median(() => unpackLatents(packed.data, packed.info));
    rows.push([name, packed.data.length, Number((raw / packed.data.length).toFixed(2)), mbps(raw, tp), mbps(raw, tu)]);
  }
  // Peer: generic deflate of the raw bytes (what `zlib -6` of the latents would give).
  const bytes = new Uint8Array(q.buffer, q.byteOffset, q.byteLength);
  const z = deflateSync(bytes, { level: 6 });
  const tz = await median(() => deflateSync(bytes, { level: 6 }));
  const ti = await median(() => inflateSync(z));
  rows.push(['peer: zlib deflateSync level 6 of raw bytes', z.length, Number((raw / z.length).toFixed(2)), mbps(raw, tz), mbps(raw, ti)]);
  return {
    title: `pack/unpack of int8 latents ${SHAPE.join('×')} (1080p frame at J=3, ${raw} B raw), median of ${REPS}`,
    columns: ['method', 'compressed bytes', 'ratio raw:packed', 'pack MB/s', 'unpack MB/s'],
    rows,
  };
}
