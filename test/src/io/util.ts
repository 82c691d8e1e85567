/** Shared helpers for the io tests (not a test file itself). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';
import { packageRoot } from '../../../src/paths.js';

export const IMAGES = join(packageRoot(), 'fixtures', 'images');
export const VIDEO = join(packageRoot(), 'fixtures', 'video');

/** The ffmpeg the io module would use, or null; tests that need it are skipped without it. */
export const ffmpeg = findFfmpeg();
export const noFfmpeg = ffmpeg ? false : 'no ffmpeg on this machine';

/** PSNR in dB between two 8-bit sample arrays of equal length (Infinity when identical). */
export function psnr8(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    se += d * d;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

/** Byte-for-byte equality of two typed arrays (t.same on big arrays is slow to print when they differ). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Largest absolute difference between two sample arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Runs the test ffmpeg with `args`, feeding `input`; resolves with stdout or rejects with stderr. */
export function runFfmpeg(args: string[], input?: Uint8Array): Promise<Buffer> {
  if (!ffmpeg) throw new Error('no ffmpeg');
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpeg.path, ['-hide_banner', '-v', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${args.join(' ')}: ${Buffer.concat(err).toString()}`))));
    p.stdin.on('error', () => {});
    p.stdin.end(input);
  });
}

/** True while a process with this id exists (a zombie counts: it still has an entry). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
