/**
 * Helpers for the batch tests: a small dataset of distinct real-photo crops in a nested tree, the
 * `walloc` CLI as a child process running the TypeScript sources (so no build is needed and its
 * worker threads inherit the same loader), and a private redis-server on a free port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../../src/paths.js';

export const MODEL = 'rgb-16x-linear';
export const fixture = (name: string): string => join(packageRoot(), 'fixtures', 'images', name);
const PHOTOS = ['chelsea_128x96.png', 'astronaut_97x131.png', 'coffee_255x171.jpg', 'nagasaki_201x133.jpg'];

const made: string[] = [];
// Removed when the test process exits (WALLOC_KEEP_TEMP=1 keeps them for a post-mortem).
process.on('exit', () => {
  if (!process.env.WALLOC_KEEP_TEMP) for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `walloc-batch-${tag}-`));
  made.push(d);
  return d;
}

/**
 * Writes `n` distinct images (crops of the fixture photos at different offsets and sizes, PNG and
 * JPEG) under `dir/d0..d2/`, plus, with `bad`, the truncated PNG and the non-image.
 */
export async function makeDataset(dir: string, n: number, opts: { bad?: boolean } = {}): Promise<string[]> {
  const rels: string[] = [];
  for (let i = 0; i < n; i++) {
    const src = fixture(PHOTOS[i % PHOTOS.length]!);
    const meta = await sharp(src).metadata();
    const w = Math.min(meta.width!, 40 + ((i * 7) % 50));
    const h = Math.min(meta.height!, 36 + ((i * 5) % 50));
    const left = (i * 3) % (meta.width! - w + 1);
    const top = (i * 2) % (meta.height! - h + 1);
    const jpg = i % 3 === 2;
    const rel = `d${i % 3}/img${String(i).padStart(3, '0')}.${jpg ? 'jpg' : 'png'}`;
    mkdirSync(join(dir, `d${i % 3}`), { recursive: true });
    const img = sharp(src).extract({ left, top, width: w, height: h });
    await (jpg ? img.jpeg({ quality: 90 }) : img.png()).toFile(join(dir, rel));
    rels.push(rel);
  }
  if (opts.bad) {
    copyFileSync(fixture('truncated.png'), join(dir, 'truncated.png'));
    copyFileSync(fixture('not-an-image.png'), join(dir, 'not-an-image.png'));
  }
  return rels.sort();
}

/** Every file under `dir` (relative, sorted), dot-files included so leftovers are seen. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Map of relative path → bytes for every file under `dir`. */
export function treeBytes(dir: string): Map<string, Buffer> {
  return new Map(listFiles(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

const WALLOC_ARGS = ['--import', 'tsx', join(packageRoot(), 'src', 'cli', 'bin', 'walloc.ts')];

/** Starts `walloc ARGS...` from the TypeScript sources. */
export function spawnWalloc(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { output: () => string; done: Promise<number | null> } {
  const p = spawn(process.execPath, [...WALLOC_ARGS, ...args], {
    cwd: packageRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  p.stdout!.on('data', (c: Buffer) => { text += c.toString(); });
  p.stderr!.on('data', (c: Buffer) => { text += c.toString(); });
  const done = new Promise<number | null>((resolve) => p.on('close', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return Object.assign(p, { output: () => text, done });
}

/** Runs `walloc ARGS...` to the end. */
export async function runWalloc(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const p = spawnWalloc(args, env);
  const code = await p.done;
  return { code, output: p.output() };
}

/** Polls `cond` every `ms` until it is true or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs: number, ms = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, ms));
  }
  return cond();
}

/** Lines of a JSON-lines file ([] if it does not exist yet). */
export function jsonLines<T = Record<string, unknown>>(path: string): T[] {
  try {
    if (!statSync(path).isFile()) return [];
  } catch {
    return [];
  }
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** True when Debian's redis-server is installed. */
export const hasRedis = (): boolean => spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A private redis-server (no persistence) in a temp folder; `stop()` ends it. */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = tempDir('redis');
  const port = await freePort();
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  p.stdout!.on('data', (c: Buffer) => { log += c.toString(); });
  const ok = await waitFor(() => /Ready to accept connections/.test(log), 20_000);
  if (!ok) {
    p.kill('SIGKILL');
    throw new Error(`redis-server did not start: ${log.slice(-500)}`);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const closed = new Promise((r) => p.once('close', r));
      p.kill('SIGTERM');
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
