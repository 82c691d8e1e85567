/**
 * Where the package lives on disk, found by walking up from this module to walloc's own
 * package.json. The same code runs from `src/` (tests, via tap's TypeScript loader) and from
 * `dist/src/` (the installed CLI), so fixed `../..` hops would be wrong in one of them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** Absolute path of the walloc package root (the folder holding its package.json). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'walloc') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('walloc package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** walloc's version, from package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
