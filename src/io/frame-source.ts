/**
 * Frame streams from inputs that hold more than one picture: a y4m stream (ffmpeg's
 * `-f yuv4mpegpipe`), parsed here, or any other media, decoded by an ffmpeg child process.
 */
import { isWallocError, werr } from '../errors.js';
import type { Frame } from '../frame.js';
import type { OpenedInput } from './input.js';
import type { ImageLimits } from './limits.js';
import { Y4mParser } from './y4m.js';
import { ffmpegFrames } from './video.js';

export interface FrameSource {
  frames: AsyncIterable<Frame>;
  /** Facts for the .wlc header. */
  header: Record<string, unknown>;
}

/**
 * Frames of a y4m or other video input, decoded as they arrive (memory bounded by one frame).
 *
 * @example
 * const { frames } = await frameSourceFor(await openInput('-', process.stdin), {});
 */
export async function frameSourceFor(input: OpenedInput, limits: ImageLimits): Promise<FrameSource> {
  const source = input.label === '-' ? 'stdin' : input.label;
  if (input.kind === 'y4m') {
    const parser = new Y4mParser({ limits, source });
    input.stream.on('error', (e) => parser.destroy(e));
    return { frames: input.stream.pipe(parser), header: { container: 'y4m' } };
  }
  // Anything else: let ffmpeg decode it (a file by path, so it can seek; stdin or a named pipe as a pipe).
  const frames = input.seekable ? ffmpegFrames(input.label, limits, { source }) : ffmpegFrames(input.stream, limits, { source });
  if (input.seekable) input.stream.destroy();
  return { frames: explainUnreadable(frames, input.label), header: { container: 'ffmpeg' } };
}

/**
 * Input that no detector recognised went to ffmpeg; if ffmpeg cannot read it either, say so in
 * those words rather than with ffmpeg's internal message alone.
 */
async function* explainUnreadable(frames: AsyncIterable<Frame>, path: string): AsyncGenerator<Frame> {
  let n = 0;
  try {
    for await (const f of frames) {
      n++;
      yield f;
    }
  } catch (e) {
    if (n === 0 && isWallocError(e, 'WALLOC_ERR_FFMPEG_FAILED')) {
      // ffmpeg read it, but found no picture: media with only sound, in a container not known by
      // its first bytes (a pipe has no name to go by).
      if (/Stream map '0:v:0' matches no streams/.test(String(e.details.reason))) {
        throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path, reason: 'it has no video stream; if it is audio, give an audio model (--model stereo-5x)' }, e);
      }
      // Headerless samples or voxels say nothing of their layout: the flags that give it.
      const raw = /\.(raw|bin|pcm|img)$/i.test(path) ? '; headerless data needs its layout: --shape D,H,W --dtype TYPE for a volume, --format --rate --channels for audio' : '';
      throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path, reason: `not an image, a y4m stream or media that ffmpeg can decode (ffmpeg: ${String(e.details.reason ?? e.message)})${raw}` }, e);
    }
    throw e;
  }
  if (n === 0) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path, reason: 'no video frames in it' });
}
