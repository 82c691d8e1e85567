/** Shared helpers for the filter tests: a tiny PCA-like model, frame sources and collecting sinks. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { saveModel, type Model } from '../../src/models/model-file.js';
import type { Frame } from '../../src/frame.js';

/** Deterministic pseudo-random numbers in [-1, 1). */
export function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * A tiny image codec: J = 1 (3·4 = 12 coefficient channels), N latent channels, an orthonormal
 * encoder (Gram–Schmidt of random rows: what PCA gives) and its transpose as the linear decoder.
 */
export function tinyModel(dir = mkdtempSync(join(tmpdir(), 'walloc-model-')), latentDim = 6): Model {
  const d = 12;
  const w = rand(latentDim * d, 42);
  for (let r = 0; r < latentDim; r++) {
    for (let q = 0; q < r; q++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += w[r * d + i]! * w[q * d + i]!;
      for (let i = 0; i < d; i++) w[r * d + i] -= dot * w[q * d + i]!;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w[r * d + i]! ** 2;
    for (let i = 0; i < d; i++) w[r * d + i] /= Math.sqrt(norm);
  }
  const scale = Float32Array.from({ length: latentDim }, (_, i) => 0.3 / (i + 1));
  return saveModel(dir, {
    name: 'tiny-test', description: 'tiny PCA-like test codec', modality: 'image', channels: 3, levels: 1, wavelet: 'bior4.4',
    latentDim, bits: 8, pack: { format: 'webp' }, decoder: { type: 'linear' },
  }, new Map([
    ['encoder.weight', { shape: [latentDim, d], data: w }],
    ['encoder.bias', { shape: [latentDim], data: new Float32Array(latentDim) }],
    ['encoder.scale', { shape: [latentDim], data: scale }],
    ['decoder.linear.weight', { shape: [1, 1, latentDim, d], data: w.slice() }],
    ['decoder.linear.bias', { shape: [d], data: new Float32Array(d) }],
  ]));
}

/** A Writable that keeps every frame. */
export function collector(): Writable & { frames: Frame[] } {
  const frames: Frame[] = [];
  const w = new Writable({ objectMode: true, highWaterMark: 1, write(f: Frame, _e, cb) { frames.push(f); cb(); } });
  return Object.assign(w, { frames });
}

/** An object-mode Readable over frames that counts how many were pulled. */
export function countingSource<T>(items: readonly T[]): Readable & { pulled(): number } {
  let i = 0;
  const r = new Readable({
    objectMode: true,
    highWaterMark: 1,
    read() {
      this.push(i < items.length ? items[i++] : null);
    },
  });
  return Object.assign(r, { pulled: () => i });
}
