/**
 * The process edge: the only place that turns errors into exit statuses and terminal text.
 * User errors (WallocError) print one line with their code, never a stack trace; anything else is
 * a bug in walloc and says so (set WALLOC_DEBUG=1 for the stack). EPIPE on stdout (`| head`) ends
 * quietly with status 141, what a shell reports for a tool killed by SIGPIPE (`cat big | head`):
 * nothing to tell the person, who closed the pipe, but `set -o pipefail` sees the output unread.
 */
import { isWallocError, printable, werr } from '../errors.js';
import { version } from '../paths.js';
import { type CommandIo, type CommandSpec, helpText, parseCommandArgs } from './command.js';

/**
 * Stops a pipeline on SIGINT/SIGTERM so outputs are cleaned up instead of left half-written.
 *
 * @example
 * const { signal, release } = interruptSignal();
 * try { await pipeline(src, enc, out.stream, { signal }); } finally { release(); }
 */
export function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const ac = new AbortController();
  const onSig = (signal: NodeJS.Signals) => ac.abort(werr('WALLOC_ERR_INTERRUPTED', { signal }));
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  return { signal: ac.signal, release: () => { process.off('SIGINT', onSig); process.off('SIGTERM', onSig); } };
}

export const processIo = (): CommandIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Formats any error for a person; returns the exit status to use. */
export function reportError(prog: string, e: unknown, stderr: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): number {
  // A pipeline stopped by interruptSignal rejects with an AbortError whose cause is the coded reason.
  if (e instanceof Error && e.name === 'AbortError' && isWallocError(e.cause)) e = e.cause;
  if (isWallocError(e)) {
    stderr.write(`${prog}: ${e.message} [${e.code}]\n`);
    if (env.WALLOC_DEBUG) stderr.write(`${e.stack ?? ''}\n`);
    return e.exitCode;
  }
  // An operating-system error writing an output (a full disk, a pipe or device whose reader went
  // away, a permission taken away mid-run) is the output's failure, not a bug.
  const sys = e as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string' && ['write', 'open', 'close', 'fsync', 'rename'].includes(sys.syscall)) {
    stderr.write(`${prog}: ${printable(sys.path ?? 'output')}: cannot write (${sys.code}) [WALLOC_ERR_FILE_WRITE]\n`);
    return 1;
  }
  const err = e as Error;
  stderr.write(`${prog}: internal error: ${printable(err?.message ?? String(e))} [WALLOC_ERR_INTERNAL]\n`);
  stderr.write(env.WALLOC_DEBUG ? `${err?.stack ?? ''}\n` : `${prog}: this is a bug in walloc; rerun with WALLOC_DEBUG=1 for details and please report it\n`);
  return 1;
}

/**
 * Runs one command with argv, returning its exit status (never throws). Used by the bin scripts and
 * by tests, which pass their own streams.
 *
 * @example
 * const status = await runCommand(infoCommand, ['--json'], processIo());
 */
export async function runCommand(spec: CommandSpec, argv: string[], io: CommandIo): Promise<number> {
  const prog = spec.name.split(' ')[0] ?? 'walloc';
  try {
    const args = parseCommandArgs(spec, argv);
    if (args.values.help === true) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    if (args.values.version === true) {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    return (await spec.run(args, io)) ?? 0;
  } catch (e) {
    return reportError(prog, e, io.stderr, io.env);
  }
}

/** The exit status when stdout's reader went away: a shell's 128 + SIGPIPE. */
export const EXIT_BROKEN_PIPE = 141;

/** Entry point for a bin script: runs, then sets the exit status; EPIPE ends quietly (141). */
export function main(run: (io: CommandIo) => Promise<number>): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    // A failing pipeline destroys stdout with its own error, which the command reports; only a
    // failed write to stdout itself (EIO, ENOSPC, …) is said here.
    if (e.syscall !== 'write') return;
    process.stderr.write(`walloc: cannot write to stdout (${e.code ?? e.message}) [WALLOC_ERR_FILE_WRITE]\n`);
    process.exit(1);
  });
  const io = processIo();
  void run(io).then((status) => {
    process.exitCode = status;
    // After a failure, what the command had open (stdin from a live producer, an ffmpeg child's
    // pipes) must not keep the process alive: the error is reported, so leave soon. stdout and
    // stderr on pipes and files are written synchronously on Linux, so nothing is lost.
    // A moment's grace (unref'd: it never keeps the process up) lets pending closes and removals
    // of temporary files run first.
    if (status !== 0) setTimeout(() => process.exit(status), 200).unref();
  });
}
