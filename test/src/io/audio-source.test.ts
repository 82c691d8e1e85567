/**
 * Audio sources read through ffmpeg (FLAC, Ogg, MP4 …): the rate the input had before ffmpeg
 * resampled it is known (it goes into the .wlc header as sourceRate, and walloc-decode writes it
 * back), inputs below the rate floor are refused as WAV and raw PCM are, and a failure still names
 * ffmpeg's own error line, not its stream description.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openAudio, MIN_SOURCE_RATE } from '../../../src/io/audio-source.js';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';
import { packageRoot } from '../../../src/paths.js';
import { openInput } from '../../../src/io/input.js';

const ff = findFfmpeg();
const dir = mkdtempSync(join(tmpdir(), 'walloc-audio-source-'));

/** Makes a short test file with the real ffmpeg. */
function make(name: string, args: string[]): string {
  const path = join(dir, name);
  execFileSync(ff!.path, ['-v', 'error', ...args, '-y', path]);
  return path;
}

async function read(path: string): Promise<{ sampleRate: number; sourceRate?: number; channels: number; via: string; frames: number }> {
  const a = await openAudio(await openInput(path, Readable.from([])), { sampleRate: 44100 });
  let frames = 0;
  try {
    for await (const c of a.chunks) frames += c[0]!.length;
  } finally {
    a.dispose?.();
  }
  return { sampleRate: a.sampleRate, sourceRate: a.sourceRate, channels: a.channels, via: a.via, frames };
}

t.test('ffmpeg inputs keep their own rate as sourceRate while the samples come at the codec rate', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const flac = make('speech.flac', ['-f', 'lavfi', '-i', 'sine=f=440:r=8000:d=0.5', '-c:a', 'flac']);
  t.match(await read(flac), { via: 'ffmpeg', sampleRate: 44100, sourceRate: 8000, channels: 1, frames: 22050 });
  // A video file with its audio as the second stream: the audio stream's rate, not the first stream's.
  const mp4 = make('clip.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:d=0.5', '-f', 'lavfi', '-i', 'sine=f=440:r=48000:d=0.5', '-ac', '2', '-c:v', 'mpeg4', '-c:a', 'aac', '-shortest']);
  const m = await read(mp4);
  t.match(m, { via: 'ffmpeg', sampleRate: 44100, sourceRate: 48000, channels: 2 });
});

t.test('a file with large tags (70 KB of comment): ffmpeg\'s tags stay out of its WAV, the audio is read', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const tagged = make('tagged.flac', ['-f', 'lavfi', '-i', 'sine=f=440:r=8000:d=0.5', '-metadata', `comment=${'x'.repeat(70_000)}`, '-c:a', 'flac']);
  t.match(await read(tagged), { via: 'ffmpeg', sampleRate: 44100, sourceRate: 8000, frames: 22050 });
});

t.test('WAV codings other than PCM and float (µ-law, IMA ADPCM): a file goes through ffmpeg, a pipe is refused with a hint', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const speech = join(packageRoot(), 'fixtures', 'audio', 'speech_mono_8k_2s.wav');
  const mulaw = make('mulaw.wav', ['-i', speech, '-c:a', 'pcm_mulaw']);
  t.match(await read(mulaw), { via: 'ffmpeg', sampleRate: 44100, sourceRate: 8000, channels: 1, frames: 88200 });
  const ima = make('ima.wav', ['-i', speech, '-c:a', 'adpcm_ima_wav']);
  t.match(await read(ima), { via: 'ffmpeg', sourceRate: 8000, channels: 1 });
  const { readFileSync } = await import('node:fs');
  const piped = await openInput('-', Readable.from([readFileSync(mulaw)]));
  await t.rejects(openAudio(piped, { sampleRate: 44100 }), { code: 'WALLOC_ERR_AUDIO_FORMAT', message: /µ-law.*a file is decoded through ffmpeg/ });
});

t.test('the source rate is the decoder\'s, not text a file can forge; rates over 768 kHz are refused', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  // A metadata key with a newline puts a fake stream line into ffmpeg's description of the input.
  const forged = make('forged.flac', ['-f', 'lavfi', '-i', 'sine=f=440:r=48000:d=0.5', '-metadata', 'x\n[info]   Stream #0:0: Audio: flac, 500 Hz=v', '-c:a', 'flac']);
  t.match(await read(forged), { sourceRate: 48000 });
  const fast = make('fast.wav', ['-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=0.1', '-ar', '1000000', '-c:a', 'pcm_s16le']);
  await t.rejects(read(fast), { code: 'WALLOC_ERR_AUDIO_FORMAT', message: /1000000 Hz/ });
  const caf = make('fast.caf', ['-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=0.1', '-ar', '1000000', '-c:a', 'pcm_s16le']);
  await t.rejects(read(caf), { code: 'WALLOC_ERR_AUDIO_FORMAT', message: /1000000 Hz/ }, 'through ffmpeg too');
});

t.test('below the rate floor through ffmpeg: WALLOC_ERR_AUDIO_FORMAT, as for WAV', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const low = make('low.flac', ['-f', 'lavfi', '-i', 'sine=f=100:r=800:d=0.5', '-c:a', 'flac']);
  t.ok(800 < MIN_SOURCE_RATE);
  await t.rejects(read(low), { code: 'WALLOC_ERR_AUDIO_FORMAT', message: /800 Hz/ });
});

t.test('not media: ffmpeg\'s error line, without its stream description', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const junk = join(dir, 'junk.flac');
  writeFileSync(junk, 'this is not audio at all\n'.repeat(40));
  const e = await read(junk).then(() => undefined, (err: Error & { code?: string }) => err);
  t.equal(e?.code, 'WALLOC_ERR_FFMPEG_FAILED');
  t.notMatch(e?.message ?? '', /\[(info|error)\]|Stream #/, e?.message ?? 'no error');
});

t.test('a FLAC or µ-law WAV cut short is refused, not encoded up to the cut (ffmpeg alone exits 0 on both)', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const { readFileSync } = await import('node:fs');
  const cut = (path: string, fraction: number) => {
    const bytes = readFileSync(path);
    const short = path.replace(/(\.\w+)$/, '-cut$1');
    writeFileSync(short, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    return short;
  };
  const flac = make('noise.flac', ['-f', 'lavfi', '-i', 'anoisesrc=r=44100:d=3:seed=7', '-ac', '2', '-c:a', 'flac']);
  t.match(await read(flac), { via: 'ffmpeg', frames: 132300 }, 'the whole file reads');
  await t.rejects(read(cut(flac, 0.6)), { code: 'WALLOC_ERR_FFMPEG_FAILED', message: /after \d+\.\d+ s of audio from .*noise-cut\.flac: it is damaged or cut short/ });
  const speech = join(packageRoot(), 'fixtures', 'audio', 'speech_mono_8k_2s.wav');
  const mulaw = make('speech-mulaw.wav', ['-i', speech, '-c:a', 'pcm_mulaw']);
  await t.rejects(read(cut(mulaw, 0.5)), { code: 'WALLOC_ERR_AUDIO_TRUNCATED', message: /announces 16000 bytes of samples but the file holds only/ });
  // An MP3 with padding after its last frame is whole: decoded as players do, not refused.
  const mp3 = make('tone.mp3', ['-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=1', '-c:a', 'libmp3lame']);
  const padded = join(dir, 'padded.mp3');
  writeFileSync(padded, Buffer.concat([readFileSync(mp3), Buffer.alloc(4096)]));
  const whole = await read(mp3);
  const pad = await read(padded);
  t.ok(pad.frames >= whole.frames, `the padded MP3 gives every sample of the plain one (${pad.frames} ≥ ${whole.frames})`);
});
