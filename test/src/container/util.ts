/** Shared helpers for the container tests (not a test file itself). */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WlcReader, type WlcHeader, type WlcMeta, type WlcReaderOptions } from '../../../src/container/index.js';
import type { Frame } from '../../../src/frame.js';

/** Splits `bytes` into chunks whose sizes cycle through `sizes` (all > 0). */
export function chunk(bytes: Uint8Array, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

export interface StreamResult {
  header: WlcHeader | undefined;
  items: Array<Frame | WlcMeta>;
  metaEvents: unknown[];
  terminated: boolean;
  unterminated: number | undefined;
  headerBeforeFirstItem: boolean;
}

/** Pushes chunks through a WlcReader in a real pipeline and collects everything it reports. */
export async function readThroughStream(chunks: Uint8Array[], options: WlcReaderOptions = {}): Promise<StreamResult> {
  const reader = new WlcReader(options);
  const result: StreamResult = { header: undefined, items: [], metaEvents: [], terminated: false, unterminated: undefined, headerBeforeFirstItem: true };
  reader.on('header', (h) => { result.header = h; });
  reader.on('meta', (d) => { result.metaEvents.push(d); });
  reader.on('unterminated', (n) => { result.unterminated = n; });
  await pipeline(Readable.from(chunks), reader, async (source: AsyncIterable<Frame | WlcMeta>) => {
    for await (const item of source) {
      if (result.header === undefined) result.headerBeforeFirstItem = false;
      result.items.push(item);
    }
  });
  result.terminated = reader.terminated;
  return result;
}

/** A comparable plain view of a frame: kind, shape, dtype name, sample values, meta. */
export function plain(item: Frame | WlcMeta): unknown {
  if ('kind' in item) return { kind: item.kind, shape: [...item.shape], dtype: item.data.constructor.name, data: Array.from(item.data), meta: item.meta };
  return item;
}
