/**
 * Audio filters for sensor pipelines, rendered by node-web-audio-api's OfflineAudioContext
 * (src/io/web-audio.ts): `resample`, `lowpass`, `highpass`, `gain`. Each carries context across
 * frames, so a chunked live stream is filtered without seams.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Frame } from '../src/frame.js';
import { FRAME_HIGH_WATER_MARK } from '../src/streams.js';
import { WebAudioProcessor, type WebAudioStage } from '../src/io/web-audio.js';
import { defineFilter } from './definition.js';

/**
 * A Transform stream applying one Web Audio stage to audio frames.
 *
 * @example
 * await pipeline(audioFrames, webAudioTransform({ type: 'resample', rate: 44100 }), encoder, sink);
 */
export function webAudioTransform(stage: WebAudioStage): Transform {
  const p = new WebAudioProcessor(stage);
  return new Transform({
    objectMode: true,
    highWaterMark: FRAME_HIGH_WATER_MARK,
    transform(f: Frame, _e, cb: TransformCallback) {
      p.push(f).then((out) => { for (const o of out) this.push(o); cb(); }, cb);
    },
    flush(cb: TransformCallback) {
      p.flush().then((out) => { for (const o of out) this.push(o); cb(); }, cb);
    },
  });
}

export const resampleFilter = defineFilter({
  name: 'resample',
  description: 'resample audio frames to another sample rate (Web Audio)',
  inputs: [{ name: 'default', kinds: ['audio'] }],
  outputs: [{ name: 'default', kinds: ['audio'], follows: 0 }],
  options: { rate: { type: 'int', min: 1000, max: 384000, default: 44100, aliases: ['r', 'ar'], help: 'output sample rate in Hz' } },
  examples: ['resample=44100', 'resample=rate=16000'],
  create: (o) => webAudioTransform({ type: 'resample', rate: o.rate }),
});

export const lowpassFilter = defineFilter({
  name: 'lowpass',
  description: 'second-order low-pass filter on audio frames (Web Audio biquad)',
  inputs: [{ name: 'default', kinds: ['audio'] }],
  outputs: [{ name: 'default', kinds: ['audio'], follows: 0 }],
  options: {
    frequency: { type: 'float', min: 1, max: 192000, default: 4000, aliases: ['f'], help: 'cut-off frequency in Hz' },
    q: { type: 'float', min: 0.0001, max: 1000, default: 0.7071, help: 'resonance (Q)' },
  },
  examples: ['lowpass=3000', 'lowpass=f=8000:q=1'],
  create: (o) => webAudioTransform({ type: 'lowpass', frequency: o.frequency, q: o.q }),
});

export const highpassFilter = defineFilter({
  name: 'highpass',
  description: 'second-order high-pass filter on audio frames (Web Audio biquad)',
  inputs: [{ name: 'default', kinds: ['audio'] }],
  outputs: [{ name: 'default', kinds: ['audio'], follows: 0 }],
  options: {
    frequency: { type: 'float', min: 1, max: 192000, default: 80, aliases: ['f'], help: 'cut-off frequency in Hz' },
    q: { type: 'float', min: 0.0001, max: 1000, default: 0.7071, help: 'resonance (Q)' },
  },
  examples: ['highpass=80', 'highpass=f=200'],
  create: (o) => webAudioTransform({ type: 'highpass', frequency: o.frequency, q: o.q }),
});

export const gainFilter = defineFilter({
  name: 'gain',
  description: 'change the level of audio frames (Web Audio gain)',
  inputs: [{ name: 'default', kinds: ['audio'] }],
  outputs: [{ name: 'default', kinds: ['audio'], follows: 0 }],
  options: { db: { type: 'float', min: -120, max: 60, default: 0, aliases: ['volume'], help: 'gain in decibels' } },
  examples: ['gain=-6', 'gain=db=3'],
  create: (o) => webAudioTransform({ type: 'gain', db: o.db }),
});
