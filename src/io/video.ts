/**
 * Any media file in, any media file out, through an ffmpeg child process that speaks y4m on a pipe.
 *
 * - {@link ffmpegFrames}: `ffmpeg -i INPUT -map 0:v:0 -f yuv4mpegpipe -pix_fmt yuv444p -` parsed by
 *   {@link Y4mParser}. y4m rather than rawvideo rgb24 because it carries the frame size and rate in
 *   its header, so no ffprobe run is needed first; yuv444p so that the only chroma upsampling is
 *   ffmpeg's own, from whatever the source has.
 * - {@link ffmpegSink}: frames → {@link Y4mEncoder} → `ffmpeg -f yuv4mpegpipe -i - ARGS`.
 *
 * ffmpeg is driven with `child_process.spawn` directly, not fluent-ffmpeg (DESIGN names it for this
 * edge): all walloc needs is one argv and three pipes, and owning the ChildProcess is what makes the
 * two guarantees here simple — the process is killed as soon as the consumer stops early or fails
 * (no ffmpeg left writing into a dead pipe), and its stderr becomes a coded error with the line that
 * says what went wrong. The binary itself comes from {@link findFfmpeg} in ./ffmpeg.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { Readable, Writable, type Readable as ReadableType } from 'node:stream';
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import { FRAME_HIGH_WATER_MARK } from '../streams.js';
import { ffmpegFailed, ffmpegSpawnFailed, findFfmpeg, StderrTail, type FfmpegExit, type FfmpegInfo } from './ffmpeg.js';
import type { ImageLimits } from './limits.js';
import { Y4mEncoder, Y4mParser, type ChromaUpsampling, type ColorRange, type Y4mWriterOptions } from './y4m.js';

function requireFfmpeg(): FfmpegInfo {
  const ff = findFfmpeg();
  if (!ff) throw werr('WALLOC_ERR_FFMPEG_NOT_FOUND');
  return ff;
}

const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

export interface FfmpegFramesOptions {
  /** Options placed before `-i` (e.g. `['-f', 'lavfi']`, `['-ss', '10']`). With `-f`, INPUT is not checked as a file. */
  inputArgs?: string[];
  /** Options placed after `-i` and before the y4m output (e.g. `['-frames:v', '10', '-vf', 'scale=640:-2']`). */
  outputArgs?: string[];
  /** Pixel format ffmpeg converts to (default yuv444p; yuv420p halves the pipe traffic). */
  pixFmt?: 'yuv444p' | 'yuv420p' | 'yuv422p' | 'gray';
  /** Chroma upsampling for subsampled formats (default bilinear). */
  upsampling?: ChromaUpsampling;
  /** Force a range (default: what the y4m header says). */
  range?: ColorRange;
  /** Name used in error messages (default: the path, or "stdin"). */
  source?: string;
}

/**
 * A Readable of image frames decoded by an ffmpeg child process. `destroy()` kills ffmpeg at once;
 * `exited` resolves when the process is gone (for tests, and for callers that want to be sure).
 */
export class FfmpegFrameSource extends Readable {
  /** Process id of the ffmpeg child (undefined when it could not start). */
  readonly pid: number | undefined;
  /** Resolves with the exit status once the process has exited and its pipes have closed. */
  readonly exited: Promise<FfmpegExit>;
  readonly #child: ChildProcess;
  readonly #parser: Y4mParser;
  readonly #input: ReadableType | undefined;
  readonly #stderr = new StderrTail();
  #exit: FfmpegExit | undefined;
  #parsed = false;
  #parseError: Error | undefined;
  #killed = false;
  /** Whether the child and its pipes currently keep the event loop alive (they do when spawned). */
  #held = true;

  constructor(ff: FfmpegInfo, args: string[], input: ReadableType | undefined, parser: Y4mParser) {
    super({ objectMode: true, highWaterMark: FRAME_HIGH_WATER_MARK });
    const child = spawn(ff.path, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], windowsHide: true });
    this.#child = child;
    this.#parser = parser;
    this.#input = input;
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
        this.#settle();
      });
    });
    child.on('error', (e) => {
      this.destroy(ffmpegSpawnFailed(ff.path, e));
    });
    child.stderr!.on('data', (c: Buffer) => this.#stderr.push(c));
    parser.on('data', (f: ImageFrame) => {
      if (!this.push(f)) {
        parser.pause();
        // Nobody is reading: ffmpeg will block on a full pipe, and its live process must not keep
        // Node running (a source read for one thumbnail, or never read, would hang the program).
        this.#hold(false);
      }
    });
    parser.once('end', () => {
      this.#parsed = true;
      this.#settle();
    });
    parser.on('error', (e) => {
      this.#parseError = e;
      // A parser that fails while ffmpeg is still writing (a size over the limit) must stop it, or
      // it blocks on a full pipe forever; if ffmpeg already closed its output, let it exit by itself
      // so that its own exit status (and message) is reported.
      if (!child.stdout!.readableEnded) this.#kill();
      this.#settle();
    });
    child.stdout!.pipe(parser);
    if (input && child.stdin) {
      // ffmpeg may stop reading early (-frames:v, or a failure): EPIPE here is not the error to report.
      child.stdin.on('error', () => {});
      input.on('error', (e) => this.destroy(e));
      input.pipe(child.stdin);
    }
  }

  #kill(): void {
    if (alive(this.#child)) {
      this.#killed = true;
      this.#child.kill('SIGKILL');
    }
  }

  /** Ends or fails the stream once both the process and the parser are done. */
  #settle(): void {
    if (this.destroyed || this.#exit === undefined) return;
    const exit = this.#exit;
    if (exit.code !== 0 && !this.#killed) this.destroy(ffmpegFailed(exit, this.#stderr.text(), undefined, this.#parseError));
    else if (this.#parseError) this.destroy(this.#parseError);
    else if (this.#parsed) this.push(null);
  }

  override _read(): void {
    this.#hold(true);
    this.#parser.resume();
  }

  /**
   * Whether the ffmpeg child (and its pipes) keep the event loop alive. Only on a change, and not
   * on closed pipes: Socket.ref() on a pipe without a handle queues a 'connect' listener per call
   * (_read runs per frame: a MaxListenersExceededWarning on stderr after ten).
   */
  #hold(on: boolean): void {
    if (this.#held === on) return;
    this.#held = on;
    const c = this.#child;
    for (const h of [c, c.stdout, c.stderr] as Array<{ ref?: () => void; unref?: () => void; destroyed?: boolean } | null>) {
      if (!h || h.destroyed) continue;
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // Held again until the process is gone, so that `exited` resolves.
    this.#hold(true);
    this.#kill();
    if (this.#input && this.#child.stdin) this.#input.unpipe(this.#child.stdin);
    this.#child.stdin?.destroy();
    this.#child.stdout?.unpipe(this.#parser);
    this.#child.stdout?.destroy();
    this.#parser.destroy();
    cb(err);
  }
}

function looksLikeFile(input: string): boolean {
  // URLs and protocols (http:, pipe:, rtsp:) are ffmpeg's business; a single letter is a Windows drive.
  return !/^[a-z][a-z0-9+.-]+:/i.test(input);
}

/**
 * Decodes the first video stream of any file ffmpeg reads (or of a byte stream piped to it) into
 * image frames [3, H, W]. The frame size is checked against `limits` from the y4m header before a
 * frame buffer exists. Frame meta: `pts` = frame index, `extra.fps`, `extra.y4m` (see y4m.ts).
 *
 * @throws WALLOC_ERR_FFMPEG_NOT_FOUND, WALLOC_ERR_FILE_NOT_FOUND, WALLOC_ERR_FILE_READ (synchronously);
 *   after that the stream fails with WALLOC_ERR_FFMPEG_FAILED (ffmpeg's last meaningful stderr line),
 *   WALLOC_ERR_LIMIT_EXCEEDED, or WALLOC_ERR_UNSUPPORTED_INPUT.
 * @example
 * for await (const frame of ffmpegFrames('clip.mp4', { maxPixels: 8_294_400 })) encode(frame);
 * // stop after ten frames; ffmpeg is killed when the loop exits early:
 * for await (const frame of ffmpegFrames('long.mkv')) if (frame.meta.pts === 9) break;
 * ffmpegFrames('testsrc=size=64x48:rate=5', {}, { inputArgs: ['-f', 'lavfi'], outputArgs: ['-frames:v', '3'] });
 */
export function ffmpegFrames(input: string | ReadableType, limits: ImageLimits = {}, options: FfmpegFramesOptions = {}): FfmpegFrameSource {
  const ff = requireFfmpeg();
  const fromStream = typeof input !== 'string';
  const source = options.source ?? (fromStream ? 'stdin' : input);
  const args = [
    '-hide_banner', '-nostdin', '-v', 'error',
    ...(options.inputArgs ?? []),
    '-i', fromStream ? 'pipe:0' : input,
    '-map', '0:v:0',
    ...(options.outputArgs ?? []),
    '-f', 'yuv4mpegpipe', '-pix_fmt', options.pixFmt ?? 'yuv444p', 'pipe:1',
  ];
  // Name a missing file ourselves, before spawning: ffmpeg's message would be as true but not coded.
  if (!fromStream && !options.inputArgs?.includes('-f') && looksLikeFile(input)) {
    try {
      statSync(input);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: input }, e);
      throw werr('WALLOC_ERR_FILE_READ', { path: input, reason: err.code ?? err.message }, e);
    }
  }
  const parser = new Y4mParser({ limits, source, allowEmpty: true, upsampling: options.upsampling, range: options.range });
  return new FfmpegFrameSource(ff, args, fromStream ? input : undefined, parser);
}

export interface FfmpegSinkOptions {
  /** How frames are written to ffmpeg (default 4:2:0 limited, which every encoder takes as is). */
  y4m?: Y4mWriterOptions;
  /** Where ffmpeg's stdout goes when ARGS end in `-` / `pipe:1`; not ended, so it can be process.stdout. */
  output?: Writable;
}

/**
 * An object-mode Writable that feeds image frames to `ffmpeg -f yuv4mpegpipe -i - ARGS`. It
 * finishes only when ffmpeg has exited; a non-zero exit fails it with WALLOC_ERR_FFMPEG_FAILED.
 * If ffmpeg stops reading and exits cleanly (e.g. ARGS has `-frames:v 1`), later frames are dropped
 * — the same as EPIPE on a pipe, a normal end.
 */
export class FfmpegSink extends Writable {
  readonly pid: number | undefined;
  readonly exited: Promise<FfmpegExit>;
  readonly #child: ChildProcess;
  readonly #enc: Y4mEncoder;
  readonly #stderr = new StderrTail();
  #stdinClosed = false;
  #killed = false;

  constructor(ff: FfmpegInfo, args: string[], options: FfmpegSinkOptions) {
    super({ objectMode: true, highWaterMark: FRAME_HIGH_WATER_MARK });
    this.#enc = new Y4mEncoder(options.y4m);
    const child = spawn(ff.path, args, { stdio: ['pipe', options.output ? 'pipe' : 'ignore', 'pipe'], windowsHide: true });
    this.#child = child;
    this.pid = child.pid;
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    child.on('error', (e) => this.destroy(ffmpegSpawnFailed(ff.path, e)));
    child.stderr!.on('data', (c: Buffer) => this.#stderr.push(c));
    child.stdin!.on('error', () => {}); // EPIPE when ffmpeg exits early: its exit status decides.
    child.stdin!.once('close', () => { this.#stdinClosed = true; });
    if (options.output) child.stdout!.pipe(options.output, { end: false });
  }

  /** Calls back once ffmpeg has exited: clean, or with its failure. */
  #afterExit(cb: (e?: Error | null) => void): void {
    this.exited.then((exit) => cb(exit.code === 0 ? null : ffmpegFailed(exit, this.#stderr.text())), cb);
  }

  override _write(frame: ImageFrame, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    let bytes: Buffer;
    try {
      bytes = this.#enc.encode(frame);
    } catch (e) {
      cb(e as Error);
      return;
    }
    const stdin = this.#child.stdin!;
    if (this.#stdinClosed || stdin.destroyed) {
      this.#afterExit(cb);
      return;
    }
    if (stdin.write(bytes)) {
      cb();
      return;
    }
    // Wait for room, or for ffmpeg to go away (then its exit status decides).
    const onDrain = () => { stdin.off('close', onClose); cb(); };
    const onClose = () => { stdin.off('drain', onDrain); this.#afterExit(cb); };
    stdin.once('drain', onDrain);
    stdin.once('close', onClose);
  }

  override _final(cb: (e?: Error | null) => void): void {
    const stdin = this.#child.stdin!;
    if (!stdin.destroyed) stdin.end();
    this.#afterExit(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (alive(this.#child)) {
      this.#killed = true;
      this.#child.kill('SIGKILL');
    }
    this.#child.stdin?.destroy();
    cb(err);
  }

  /** True when the sink killed ffmpeg itself (it was destroyed before ffmpeg finished). */
  get killed(): boolean { return this.#killed; }
}

/**
 * Starts ffmpeg reading y4m from a pipe, with `args` describing the output, and returns the
 * Writable to send image frames to.
 *
 * @throws WALLOC_ERR_FFMPEG_NOT_FOUND
 * @example
 * await pipeline(frames, ffmpegSink(['-c:v', 'libx264', '-y', 'out.mp4']));
 * await pipeline(frames, ffmpegSink(['-f', 'image2pipe', '-c:v', 'png', '-'], { output: process.stdout, y4m: { chroma: '444' } }));
 */
export function ffmpegSink(args: string[], options: FfmpegSinkOptions = {}): FfmpegSink {
  const ff = requireFfmpeg();
  return new FfmpegSink(ff, ['-hide_banner', '-nostdin', '-v', 'error', '-f', 'yuv4mpegpipe', '-i', 'pipe:0', ...args], options);
}
