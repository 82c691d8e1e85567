/**
 * Where decoded frame streams go: y4m (a file or stdout, for `| ffmpeg -f yuv4mpegpipe -i -`),
 * numbered image files (`frame-%04d.png`), a PNG sequence on stdout, or any format ffmpeg writes,
 * chosen by the output's extension. File outputs are written atomically: a temporary name, then a
 * rename once complete.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { extname } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { isWallocError, werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import { checkOutputFolder, renamedOutput, tempPathFor } from './atomic.js';
import { writeImage, WRITTEN_IMAGE_EXTENSIONS } from './image.js';
import { openOutput } from './output.js';
import { ffmpegSink } from './video.js';
import { Y4mWriter } from './y4m.js';

export interface FrameSink {
  stream: Writable | Transform;
  commit(): Promise<void>;
  abort(): void;
}

/**
 * Whether a file name is a numbered-frame pattern: it holds a `%d` / `%04d` once `%%` (a literal
 * `%`) is set aside. `50%.png` is a file name, not a pattern.
 *
 * @example
 * isFramePattern('f-%04d.png'); // true
 * isFramePattern('100%%.png');  // false
 */
export function isFramePattern(name: string): boolean {
  return /%\d*d/.test(name.replace(/%%/g, ''));
}

/**
 * Expands a `%d` / `%04d` pattern with a frame number as ffmpeg's image2 muxer does: a width pads
 * with zeros, `%%` is a literal `%`. Frame files are numbered from 1, as ffmpeg numbers them;
 * volume slices from 0 (the slice index).
 *
 * @example
 * frameName('f-%04d.png', 7); // 'f-0007.png'
 * frameName('100%%-%d.png', 2); // '100%-2.png'
 */
export function frameName(pattern: string, n: number): string {
  return pattern.replace(/%(%|0?(\d*)d)/g, (_m, what: string, width: string) => (what === '%' ? '%' : String(n).padStart(Number(width || 0), '0')));
}

/** Chains a frames→bytes transform into an Output so that it can stand as one Writable. */
function bytesSink(encoder: Transform, path: string, opts: { stdout: NodeJS.WritableStream & { isTTY?: boolean }; force?: boolean }): FrameSink {
  const out = openOutput(path, { stdout: opts.stdout, force: opts.force });
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('error', reject);
    out.stream.on('error', reject);
    encoder.on('end', resolve);
  });
  done.catch(() => {});
  encoder.pipe(out.stream as NodeJS.WritableStream, { end: path !== '-' });
  return {
    stream: encoder,
    async commit() {
      await done;
      if (path !== '-') await new Promise<void>((r) => (out.stream as Writable).end(r));
      await out.commit();
    },
    abort: () => out.abort(),
  };
}

/** Still-image formats ffmpeg writes (sharp writes .png, .jpg and .webp itself). */
const STILL_EXT = new Set(['.bmp', '.tif', '.tiff', '.ppm', '.pnm', '.pgm', '.tga', '.sgi', '.pcx', '.dpx', '.jp2', '.j2k', '.jxl', '.avif', '.ico', '.xwd', '.sun', '.ras']);

/**
 * Opens the sink for a frame stream.
 *
 * @example
 * const sink = await frameSinkFor('clip.y4m', { stdout: process.stdout });
 * await pipeline(frames, sink.stream); await sink.commit();
 */
export async function frameSinkFor(path: string, opts: { format?: 'y4m' | 'png'; header?: Record<string, unknown>; stdout: NodeJS.WritableStream & { isTTY?: boolean }; force?: boolean }): Promise<FrameSink> {
  const ext = path === '-' ? '' : extname(path).toLowerCase();
  if (isFramePattern(path)) {
    // Numbered images, each written atomically as it is decoded.
    checkOutputFolder(path);
    let n = 1;
    // Frames this decode created (not ones that replaced a file already there), for abort.
    const created: string[] = [];
    let aborted = false;
    const stream = new Writable({
      objectMode: true,
      write(f: ImageFrame, _e, cb) {
        const name = frameName(path, n++);
        const tmp = tempPathFor(name, true);
        const existed = existsSync(name);
        // The rename inside the chain, so that its failure (a folder of that name) is this frame's
        // error; a frame still being written when the decode failed is dropped, not renamed.
        writeImage(f, tmp).then(() => {
          if (aborted) throw werr('WALLOC_ERR_INTERRUPTED', { signal: 'abort' });
          renameSync(tmp, name);
        }).then(() => { if (!existed) created.push(name); cb(); }, (e: unknown) => {
          rmSync(tmp, { force: true });
          cb(isWallocError(e) ? e : werr('WALLOC_ERR_FILE_WRITE', { path: name, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, e));
        });
      },
    });
    // A failed decode leaves no new numbered frames behind, as a failed single file leaves no file.
    return { stream, commit: async () => {}, abort: () => { aborted = true; for (const name of created.splice(0)) rmSync(name, { force: true }); } };
  }
  // A name without an extension (a FIFO, or a plain slip) says nothing of the format: --format
  // decides, else it is refused here rather than by ffmpeg on a temporary name.
  if (ext === '' && path !== '-' && path !== '' && opts.format !== 'y4m') {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${path}: the output format cannot come from a name without an extension; add one (.png, .y4m, .mp4, .mkv …), or give --format y4m${opts.format === 'png' ? ' (PNG frames need a numbered name such as f-%04d.png)' : ''}` });
  }
  if (ext === '.y4m' || ((path === '-' || ext === '') && (opts.format ?? 'y4m') === 'y4m')) return bytesSink(new Y4mWriter(), path, opts);
  if (path === '-') {
    // A PNG sequence on stdout (what `ffmpeg -f image2pipe -i -` reads).
    const t = new Transform({
      writableObjectMode: true,
      transform(f: ImageFrame, _e, cb) { writeImage(f, undefined, { format: 'png' }).then((b) => cb(null, b), cb); },
    });
    return bytesSink(t, path, opts);
  }
  if (WRITTEN_IMAGE_EXTENSIONS.has(ext)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${path} holds one image; for a stream of frames use a pattern such as frame-%04d${ext}, a .y4m file or a video file` });
  }
  // Any other extension: ffmpeg writes it, to a temporary name that keeps the extension. Still
  // images (.bmp, .tiff …) get every chroma sample (4:4:4, full range: 4:2:0 cost them 6 dB);
  // video gets 4:2:0, which every player takes, padded to even sizes, which 4:2:0 codecs
  // (H.264 in .mp4/.mkv) need: an odd frame gains one black row or column.
  const target = renamedOutput(path);
  const still = STILL_EXT.has(ext);
  const sink = still
    ? ffmpegSink(['-pix_fmt', 'rgb24', '-y', target.tmp], { y4m: { chroma: '444', range: 'full' } })
    : ffmpegSink(['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-y', target.tmp]);
  return {
    stream: sink,
    async commit() { target.commit(); },
    abort() { target.abort(); },
  };
}
