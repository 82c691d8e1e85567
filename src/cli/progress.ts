/** Progress output shared by the long-running commands. */

/**
 * Off a terminal, progress is a plain line at most every `ms`, so logs stay readable.
 *
 * @example
 * const progress = plainEvery(30_000, (l) => process.stderr.write(l + '\n'));
 */
export function plainEvery(ms: number, write: (line: string) => void): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last >= ms) {
      last = now;
      write(line);
    }
  };
}
