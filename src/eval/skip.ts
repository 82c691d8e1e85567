/**
 * One policy for the odd broken file in an eval folder (images, recordings, volumes): a file that
 * fails with a coded error is reported and skipped, so one bad file does not end a long run; with
 * no one to report it to, and for any other error (a bug), it ends the run. Each eval refuses a folder where nothing could be read.
 */
import { isWallocError } from '../errors.js';

/** Called for each skipped file, with the coded error's message. */
export type OnSkip = (file: string, reason: string) => void;

/**
 * Reads one file of an eval folder, or says why not and gives `undefined`.
 *
 * @example
 * const img = await readOrSkip(file, () => readImage(file), (f, why) => console.error(`skipping ${f}: ${why}`));
 * if (!img) continue;
 */
export async function readOrSkip<T>(file: string, read: () => T | Promise<T>, onSkip?: OnSkip): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    // Without a listener nobody would learn a file was dropped: the error stands.
    if (!isWallocError(e) || !onSkip) throw e;
    onSkip(file, e.message);
    return undefined;
  }
}
