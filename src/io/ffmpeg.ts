/**
 * Finding an ffmpeg binary. Order: `FFMPEG_PATH` if set (the user's explicit choice), then the
 * static binary shipped inside the `@ffmpeg-installer/ffmpeg` npm package (needs no system
 * install, 2 ms to spawn), then `ffmpeg` on PATH. fluent-ffmpeg is driven from this module only:
 * its upstream was archived in 2025, so it stays behind one small door.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { werr, type WallocError } from '../errors.js';
import { createRequire } from 'node:module';

export interface FfmpegInfo {
  path: string;
  version: string;
  from: 'FFMPEG_PATH' | '@ffmpeg-installer/ffmpeg' | 'PATH';
}

function probe(path: string): string | undefined {
  const r = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  const m = /ffmpeg version (\S+)/.exec(r.stdout);
  return m?.[1] ?? 'unknown';
}

let cached: FfmpegInfo | null | undefined;

/**
 * Locates a working ffmpeg, or returns null when there is none.
 *
 * @example
 * const ff = findFfmpeg();
 * if (ff) console.error(`using ffmpeg ${ff.version} from ${ff.from}`);
 */
export function findFfmpeg(): FfmpegInfo | null {
  if (cached !== undefined) return cached;
  const candidates: Array<[string, FfmpegInfo['from']]> = [];
  if (process.env.FFMPEG_PATH) candidates.push([process.env.FFMPEG_PATH, 'FFMPEG_PATH']);
  try {
    const req = createRequire(import.meta.url);
    candidates.push([(req('@ffmpeg-installer/ffmpeg') as { path: string }).path, '@ffmpeg-installer/ffmpeg']);
  } catch { /* the npm binary is missing for this platform: fall through to PATH */ }
  candidates.push(['ffmpeg', 'PATH']);
  for (const [path, from] of candidates) {
    const version = probe(path);
    if (version !== undefined) return (cached = { path, version, from });
  }
  return (cached = null);
}

/**
 * Writes to an ffmpeg child's stdin and, when its buffer is full, waits for 'drain' or 'close',
 * whichever comes first (the other listener is removed, or one would pile up per wait).
 *
 * @example
 * await writeToChild(child.stdin!, encodePcm(planar, 'f32le'));
 */
export async function writeToChild(stdin: NodeJS.WritableStream, bytes: Uint8Array): Promise<void> {
  if (stdin.write(bytes)) return;
  await new Promise<void>((resolve) => {
    const done = () => { stdin.off('drain', done); stdin.off('close', done); resolve(); };
    stdin.once('drain', done);
    stdin.once('close', done);
  });
}

/**
 * Lines ffmpeg prints after the real error, which say nothing about the cause (measured with a text
 * file named .png: "Invalid PNG signature" first, then three of these).
 */
const GENERIC_LINE = new RegExp('^(' + [
  'Conversion failed!?', 'Exiting normally.*', 'Error initializing output stream.*', 'Could not write header.*',
  'Error while (opening|filtering|decoding).*', 'Error closing .*', 'Error marking filters as finished',
  'Cannot determine format of input stream.*', 'Nothing was written into output file.*', "To ignore this, add a trailing '\\?' to the map\\.",
].join('|') + ')$', 'i');

/**
 * Picks the line of ffmpeg's stderr that explains a failure: the last line that is not one of its
 * generic epilogues ("Conversion failed!"), with the `[demuxer @ 0x…]` prefix removed.
 *
 * @example
 * ffmpegErrorLine('x.mp4: No such file or directory\n'); // 'x.mp4: No such file or directory'
 */
export function ffmpegErrorLine(stderr: string): string {
  const lines = stderr.split(/\r\n|\r|\n/).map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/i, '').trim()).filter(Boolean);
  return lines.filter((l) => !GENERIC_LINE.test(l)).at(-1) ?? lines.at(-1) ?? '';
}

/** How an ffmpeg process ended. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The last 16 KiB of a child's stderr, where ffmpeg's reason for a failure is. */
export class StderrTail {
  static readonly BYTES = 16 * 1024;
  #chunks: Buffer[] = [];
  #bytes = 0;
  push(c: Buffer): void {
    this.#chunks.push(c);
    this.#bytes += c.length;
    while (this.#bytes - this.#chunks[0]!.length >= StderrTail.BYTES) this.#bytes -= this.#chunks.shift()!.length;
  }
  text(): string { return Buffer.concat(this.#chunks).toString('utf8'); }
}

/**
 * The one form of WALLOC_ERR_FFMPEG_FAILED for an ffmpeg that ran and failed: "REASON (exit status
 * N); CONTEXT", REASON being ffmpeg's own line ({@link ffmpegErrorLine}), CONTEXT what it was doing.
 *
 * @example
 * throw ffmpegFailed({ code: 1, signal: null }, tail.text(), 'writing out.flac');
 */
export function ffmpegFailed(exit: FfmpegExit, stderr: string, context?: string, cause?: unknown): WallocError {
  const line = ffmpegErrorLine(stderr);
  const status = exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
  return werr('WALLOC_ERR_FFMPEG_FAILED', { reason: `${line ? `${line} (${status})` : status}${context ? `; ${context}` : ''}`, exitCode: exit.code, signal: exit.signal }, cause);
}

/** WALLOC_ERR_FFMPEG_FAILED for an ffmpeg that could not be started at all. */
export function ffmpegSpawnFailed(path: string, error: Error, context?: string): WallocError {
  return werr('WALLOC_ERR_FFMPEG_FAILED', { reason: `cannot run ${path}: ${error.message}${context ? `; ${context}` : ''}` }, error);
}

/** A spawned ffmpeg: its exit, and the coded error that explains a failure. */
export interface FfmpegProcess {
  child: ChildProcess;
  /** The exit status, once the process has closed (its pipes included). */
  exited: Promise<number | null>;
  /** WALLOC_ERR_FFMPEG_FAILED with ffmpeg's own reason and what it was doing (after it exited). */
  failure(doing: string): Promise<WallocError>;
  /** Kills the process if it still runs. */
  kill(): void;
}

/**
 * Runs ffmpeg with `args` (after `-hide_banner -nostdin -v error`), keeping the tail of its stderr
 * for the error message; spawn and pipe errors are left to the exit status, so a dead ffmpeg is one
 * failure, not an unhandled 'error' event.
 *
 * @throws WALLOC_ERR_FFMPEG_NOT_FOUND
 * @example
 * const ff = spawnFfmpeg(['-f', 'f32le', '-ar', '44100', '-ac', '2', '-i', 'pipe:0', '-y', 'out.flac'], { stdout: 'ignore' });
 * ff.child.stdin!.end(pcm);
 * if ((await ff.exited) !== 0) throw await ff.failure('writing out.flac');
 */
export function spawnFfmpeg(args: readonly string[], opts: { stdout?: 'pipe' | 'ignore' } = {}): FfmpegProcess {
  const ff = findFfmpeg();
  if (!ff) throw werr('WALLOC_ERR_FFMPEG_NOT_FOUND');
  const child = spawn(ff.path, ['-hide_banner', '-nostdin', '-v', 'error', ...args], { stdio: ['pipe', opts.stdout ?? 'pipe', 'pipe'], windowsHide: true });
  const stderr = new StderrTail();
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  let spawnError: Error | undefined;
  child.on('error', (e) => { spawnError = e; });
  child.stdin!.on('error', () => {}); // ffmpeg may stop reading first: its exit status decides
  const exit = new Promise<FfmpegExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    child, exited: exit.then((e) => e.code),
    async failure(doing) {
      const e = await exit;
      return spawnError ? ffmpegSpawnFailed(ff.path, spawnError, doing) : ffmpegFailed(e, stderr.text(), doing);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
