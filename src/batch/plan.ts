/**
 * What a batch will do, decided before any work starts: which inputs (a folder tree, a list file
 * or an archive), which of them belong to this shard, and where each output goes. Everything here
 * is a pure function of the file names, so two machines (or a rerun after a crash) plan the same
 * work and the same output paths.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { werr } from '../errors.js';
import { AUDIO_EXTENSIONS } from '../train/audio-data.js';
import { IMAGE_EXTENSIONS } from '../train/photos.js';

/** What a batch does with each input. */
export type BatchMode = 'encode' | 'decode' | 'extract';

/** One unit of work: one input file and the one output it becomes. */
export interface BatchTask {
  mode: BatchMode;
  /** Absolute input path (for `extract`, the archive; see {@link BatchTask.entry}). */
  input: string;
  /** Path relative to the input root, with `/` separators: the name recorded in headers and manifests. */
  rel: string;
  /** Absolute output path. */
  output: string;
  /** For tasks read from an archive: the entry's index in it. */
  entry?: number;
}

/** A `--shard K/N` split: this task runs the files whose path hash is K modulo N (K counts from 0). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses `K/N` (0 ≤ K < N), as Kubernetes indexed jobs (`$JOB_COMPLETION_INDEX`) and Slurm arrays
 * (`$SLURM_ARRAY_TASK_ID` with `--array=0-N-1`) number their tasks.
 *
 * @example
 * parseShard('2/8'); // { index: 2, count: 8 }
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count) || count > 1_000_000) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--shard must be K/N with 0 <= K < N (K counts from 0), got "${text}"` });
  }
  return { index, count };
}

/**
 * The shard a relative path belongs to. A hash of the path, not its position in the listing, so
 * that a file stays in its shard when others are added or removed and every task computes the same
 * partition without seeing the whole list.
 *
 * @example
 * shardOf('train/cat/001.jpg', 4); // a stable number in 0..3
 */
export function shardOf(rel: string, count: number): number {
  const h = createHash('sha256').update(rel).digest();
  // 48 bits are plenty for an even spread over any practical N and stay an exact JS number.
  return h.readUIntBE(0, 6) % count;
}

/** Forward slashes, so names in headers, manifests and job ids are the same on every OS. */
export const toPosix = (p: string): string => p.split(sep).join('/');

/** Parses `--ext png,jpg` into a set of lower-case extensions with dots. */
export function parseExtensions(list: string | undefined, defaults: ReadonlySet<string>): Set<string> {
  if (list === undefined) return new Set(defaults);
  const exts = list.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean).map((e) => (e.startsWith('.') ? e : `.${e}`));
  if (exts.length === 0) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--ext needs at least one extension, e.g. --ext png,jpg' });
  return new Set(exts);
}

/** Extensions a batch picks up by default: images to encode, `.wlc` to decode. */
export const DEFAULT_EXTENSIONS: Readonly<Record<'encode' | 'decode', ReadonlySet<string>>> = {
  encode: IMAGE_EXTENSIONS,
  decode: new Set(['.wlc']),
};

/** What a codec model codes (its `config.modality`). */
export type Modality = 'image' | 'audio' | 'volume';

/** The extensions an encode batch picks up by default, by the model's modality. */
export const ENCODE_EXTENSIONS: Readonly<Record<Modality, ReadonlySet<string>>> = {
  image: IMAGE_EXTENSIONS,
  audio: AUDIO_EXTENSIONS,
  volume: new Set(['.nii', '.nii.gz']),
};

/**
 * Extensions of more than one dot that name one format. `extname` sees only `.gz` in
 * `b.nii.gz`, which would map it to `b.nii.wlc` and make `--ext nii.gz` match nothing.
 */
const DOUBLE_EXTENSIONS = ['.nii.gz'];

/**
 * A file name's extension, lower-case, with the double extensions above taken whole.
 *
 * @example
 * extensionOf('a/b.nii.gz'); // '.nii.gz'
 * extensionOf('a/B.PNG');    // '.png'
 */
export function extensionOf(name: string): string {
  const lower = name.toLowerCase();
  const double = DOUBLE_EXTENSIONS.find((e) => lower.endsWith(e) && lower.length > e.length && !lower.endsWith(`/${e}`));
  return double ?? extname(lower);
}

/**
 * Lists the files under `root` (recursively) whose extension is in `exts`, as sorted relative
 * posix paths. Dot-files and dot-folders are skipped: they are where atomic writers keep their
 * temporary files, ours included.
 *
 * @example
 * walkTree('data/photos', new Set(['.jpg'])); // ['a/1.jpg', 'a/2.jpg', 'b/1.jpg']
 */
export function walkTree(root: string, exts: ReadonlySet<string>): string[] {
  let st;
  try {
    st = statSync(root);
  } catch {
    throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: root });
  }
  if (!st.isDirectory()) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${root} is not a folder (give a folder, --list FILE or an archive)` });
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      // `--ext gz` still picks up `b.nii.gz`: the last extension counts as well as the whole one.
      else if ((e.isFile() || e.isSymbolicLink()) && (exts.has(extensionOf(e.name)) || exts.has(extname(e.name).toLowerCase()))) out.push(toPosix(relative(root, p)));
    }
  };
  walk(root);
  // Code-point order, not locale order: the same on every machine, whatever its LANG.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Reads a list file (one path per line; blank lines and `#` comments ignored; `-` for stdin
 * contents passed as `text`). Relative entries are relative to `root` (or, when no such file is
 * there, to the current folder, as `find ROOT` prints them); absolute ones must lie under it so
 * that the output tree can mirror them.
 *
 * @example
 * readList('todo.txt', 'data/photos'); // ['eval/a.png', 'train/b.png']
 */
export function readList(listPath: string, root: string, text?: string): string[] {
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync(listPath, 'utf8');
    } catch (e) {
      throw werr('WALLOC_ERR_FILE_READ', { path: listPath, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, e);
    }
  }
  const absRoot = resolve(root);
  const out = new Set<string>();
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // An errors file (path TAB code TAB message) is a valid list: only the first field counts.
    const path = line.split('\t')[0]!;
    // Relative to IN; or, when no such file is there, as `find IN …` prints it: relative to the
    // current folder and under IN (the pipe in docs/batch.md).
    let abs = isAbsolute(path) ? path : resolve(absRoot, path);
    // (Only a file under IN: an entry missing from IN that names some other file here stays the
    // one missing input it is, not a refusal of the whole list.)
    if (!isAbsolute(path) && !existsSync(abs) && existsSync(path) && !relative(absRoot, resolve(path)).startsWith('..')) abs = resolve(path);
    const rel = relative(absRoot, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${path} in ${listPath} is not under ${root}` });
    out.add(toPosix(rel));
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Where an input's output goes: the same relative path under `outRoot` with the extension
 * replaced (`a/b.jpg` and `a/b.nii.gz` → `a/b.wlc` when encoding, `a/b.wlc` → `a/b.png` when
 * decoding, or `newExt`: decoded audio is `.wav` and volumes `.nii.gz`, see ./media.ts).
 *
 * @example
 * outputPath('cats/1.jpg', '/data/out', 'encode'); // '/data/out/cats/1.wlc'
 * outputPath('scans/s1.wlc', '/data/out', 'decode', '.nii.gz'); // '/data/out/scans/s1.nii.gz'
 */
export function outputPath(rel: string, outRoot: string, mode: BatchMode, newExt = mode === 'decode' ? '.png' : '.wlc'): string {
  const bad = unsafeRelativeName(rel);
  if (bad) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${JSON.stringify(rel)} cannot name an output under ${outRoot}: ${bad}` });
  const ext = extensionOf(rel.slice(rel.lastIndexOf('/') + 1));
  const stem = ext ? rel.slice(0, -ext.length) : rel;
  return resolve(outRoot, ...`${stem}${newExt}`.split('/'));
}

/**
 * Why a relative name (an archive entry's, a queue job's) cannot name a file under an output
 * folder, or undefined when it can: empty, absolute, with a NUL or backslash, or with an empty,
 * `.` or `..` segment (which would write outside the folder: "zip slip").
 *
 * @example
 * unsafeRelativeName('cats/1.wlc');      // undefined
 * unsafeRelativeName('../../etc/x.wlc'); // 'it has a ".." segment'
 */
export function unsafeRelativeName(rel: string): string | undefined {
  if (typeof rel !== 'string' || rel === '') return 'it is empty';
  if (rel.includes('\0')) return 'it holds a NUL byte';
  if (rel.startsWith('/') || isAbsolute(rel)) return 'it is an absolute path';
  if (rel.includes('\\')) return 'it holds a backslash';
  for (const seg of rel.split('/')) {
    if (seg === '') return 'it has an empty segment';
    if (seg === '.' || seg === '..') return `it has a "${seg}" segment`;
  }
  return undefined;
}

/** A planned batch: the tasks to run, and the inputs refused before running (output collisions). */
export interface BatchPlan {
  tasks: BatchTask[];
  /** Inputs that cannot be done (two inputs mapping to one output), as failed results. */
  refused: Array<{ task: BatchTask; code: string; message: string }>;
  /** Inputs before sharding. */
  total: number;
}

/**
 * Turns relative input paths into tasks: maps outputs, keeps only this shard, refuses collisions
 * (`a.png` and `a.jpg` both want `a.wlc`: the first in path order wins, the other is an error
 * rather than a silent overwrite).
 *
 * @example
 * const plan = planTasks(walkTree('in', exts), { inRoot: 'in', outRoot: 'out', mode: 'encode', shard: parseShard('0/4') });
 */
export function planTasks(rels: readonly string[], opts: { inRoot: string; outRoot: string; mode: BatchMode; shard?: Shard }): BatchPlan {
  const inRoot = resolve(opts.inRoot);
  const seen = new Map<string, string>();
  const tasks: BatchTask[] = [];
  const refused: BatchPlan['refused'] = [];
  for (const rel of rels) {
    const output = outputPath(rel, opts.outRoot, opts.mode);
    const task: BatchTask = { mode: opts.mode, input: resolve(inRoot, ...rel.split('/')), rel, output };
    // Collisions are detected before sharding so that every shard agrees on who wins.
    const other = seen.get(output);
    if (other !== undefined) {
      if (!opts.shard || shardOf(rel, opts.shard.count) === opts.shard.index) {
        // A decoded file's extension comes from its header (.png, .wav, .nii.gz), peeked only
        // later and only in its shard: decode outputs collide on their stem, named as `stem.*`.
        const name = toPosix(relative(resolve(opts.outRoot), output));
        const e = werr('WALLOC_ERR_BATCH_COLLISION', { path: rel, output: opts.mode === 'decode' ? name.replace(/\.png$/, '.*') : name, other });
        refused.push({ task, code: e.code, message: e.message });
      }
      continue;
    }
    seen.set(output, rel);
    if (opts.shard && shardOf(rel, opts.shard.count) !== opts.shard.index) continue;
    tasks.push(task);
  }
  return { tasks, refused, total: rels.length };
}
