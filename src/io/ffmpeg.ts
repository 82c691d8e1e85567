/**
 * Finding an ffmpeg binary. Order: `FFMPEG_PATH` if set (the user's explicit choice), then the
 * static binary shipped inside the `@ffmpeg-installer/ffmpeg` npm package (needs no system
 * install, 2 ms to spawn), then `ffmpeg` on PATH. fluent-ffmpeg is driven from this module only:
 * its upstream was archived in 2025, so it stays behind one small door.
 */
import { spawnSync } from 'node:child_process';
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
