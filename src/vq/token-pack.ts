/**
 * Tight packing of codebook tokens for the .wlc container: ⌈log2 K⌉ bits per token, MSB first,
 * then raw DEFLATE (node:zlib) when it is smaller. A 7×7 grid of K = 128 tokens is 49 × 7 bits =
 * 343 bits = 43 bytes, against 98 bytes as the Uint16Array of a `tokens` frame.
 *
 * The packed bytes travel as a `packed` frame whose `meta.extra.vq` ({@link TokenPackInfo}) says the
 * token grid, K and the coder; the first byte of the data repeats the coder (0 = bits, 1 = deflate)
 * so a frame whose meta and data disagree is caught. Unpacking trusts nothing: the length must be
 * exactly what the token count needs, DEFLATE output is capped at that length (no zip bombs), and
 * every token must be below K (a bit width of ⌈log2 K⌉ can spell values up to 2^bits − 1).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { werr } from '../errors.js';
import { checkTokens, MAX_CODEBOOK_SIZE } from './codebook.js';

export type TokenCoder = 'bits' | 'deflate';

/** What unpacking needs besides the bytes; JSON-serialisable. */
export interface TokenPackInfo {
  /** Token grid shape, e.g. [7, 7]. */
  shape: number[];
  /** Codebook size K. */
  codebook: number;
  /** Bits per token, ⌈log2 K⌉ (at least 1). */
  bits: number;
  coder: TokenCoder;
}

/** Where {@link TokenPackInfo} lives in a packed frame's `meta.extra`. */
export const TOKEN_PACK_META_KEY = 'vq';

const CODER_BYTE: Record<TokenCoder, number> = { bits: 0, deflate: 1 };

/**
 * Bits per token for a K-entry codebook: ⌈log2 K⌉, at least 1.
 *
 * @example
 * tokenBits(128); // 7
 * tokenBits(130); // 8
 */
export function tokenBits(k: number): number {
  if (!Number.isInteger(k) || k < 2 || k > MAX_CODEBOOK_SIZE) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `codebook size must be an integer from 2 to ${MAX_CODEBOOK_SIZE}, got ${k}` });
  return Math.max(1, Math.ceil(Math.log2(k)));
}

/**
 * Writes `bits`-bit values MSB first into ⌈n·bits/8⌉ bytes (the last byte zero-padded).
 *
 * @example
 * packBits(Uint16Array.of(5, 3), 3); // Uint8Array [0b10101100] (101 011 00)
 */
export function packBits(values: Uint16Array, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let acc = 0;
  let held = 0;
  let o = 0;
  for (let i = 0; i < values.length; i++) {
    acc = (acc << bits) | values[i]!;
    held += bits;
    while (held >= 8) {
      held -= 8;
      out[o++] = (acc >>> held) & 0xff;
    }
    acc &= (1 << held) - 1; // keep the accumulator below 2^16 so the shift never overflows
  }
  if (held > 0) out[o] = (acc << (8 - held)) & 0xff;
  return out;
}

/**
 * Reads `count` values of `bits` bits, MSB first: the inverse of {@link packBits}. The bytes must
 * be exactly ⌈count·bits/8⌉, else WALLOC_ERR_VQ_STREAM (a truncated or padded stream).
 *
 * @example
 * unpackBits(Uint8Array.of(0b10101100), 2, 3); // Uint16Array [5, 3]
 */
export function unpackBits(bytes: Uint8Array, count: number, bits: number): Uint16Array {
  const need = Math.ceil((count * bits) / 8);
  if (bytes.length !== need) throw werr('WALLOC_ERR_VQ_STREAM', { reason: `${count} tokens of ${bits} bits need ${need} bytes, got ${bytes.length}${bytes.length < need ? ' (truncated)' : ''}` });
  const out = new Uint16Array(count);
  const mask = (1 << bits) - 1;
  let acc = 0;
  let held = 0;
  let b = 0;
  for (let i = 0; i < count; i++) {
    while (held < bits) {
      acc = ((acc << 8) | bytes[b++]!) & 0xffffff;
      held += 8;
    }
    held -= bits;
    out[i] = (acc >>> held) & mask;
  }
  return out;
}

/**
 * Packs tokens of a K-entry codebook: one coder byte, then the bit-packed tokens, deflated when
 * that is smaller. Every token must be below K.
 *
 * @example
 * const { data, info } = packTokens(tokens, [7, 7], 128); // info.bits 7; data.length ≤ 44
 */
export function packTokens(tokens: Uint16Array, shape: readonly number[], k: number): { data: Uint8Array; info: TokenPackInfo } {
  const bits = tokenBits(k);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d > 0) || count !== tokens.length) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `token shape [${shape.join(', ')}] does not hold ${tokens.length} tokens` });
  }
  checkTokens(tokens, k);
  const raw = packBits(tokens, bits);
  const deflated = deflateRawSync(raw, { level: 9 });
  const coder: TokenCoder = deflated.length < raw.length ? 'deflate' : 'bits';
  const body = coder === 'deflate' ? deflated : raw;
  const data = new Uint8Array(1 + body.length);
  data[0] = CODER_BYTE[coder];
  data.set(body, 1);
  return { data, info: { shape: [...shape], codebook: k, bits, coder } };
}

/**
 * Checks a {@link TokenPackInfo} read from untrusted meta (WALLOC_ERR_VQ_STREAM when malformed).
 *
 * @example
 * readTokenPackInfo(frame.meta.extra?.vq); // { shape: [7, 7], codebook: 128, bits: 7, coder: 'bits' }
 */
export function readTokenPackInfo(raw: unknown): TokenPackInfo {
  const bad = (reason: string) => werr('WALLOC_ERR_VQ_STREAM', { reason });
  if (raw === null || typeof raw !== 'object') throw bad('the frame has no token description (meta.extra.vq)');
  const r = raw as Record<string, unknown>;
  if (!Array.isArray(r.shape) || r.shape.length < 1 || r.shape.length > 4 || !r.shape.every((d) => Number.isSafeInteger(d) && (d as number) > 0)) throw bad(`bad token shape ${JSON.stringify(r.shape)}`);
  const count = (r.shape as number[]).reduce((a, b) => a * b, 1);
  if (count > 2 ** 24) throw bad(`${count} tokens in one frame is more than ${2 ** 24}`);
  if (typeof r.codebook !== 'number' || !Number.isInteger(r.codebook) || r.codebook < 2 || r.codebook > MAX_CODEBOOK_SIZE) throw bad(`bad codebook size ${JSON.stringify(r.codebook)}`);
  if (r.bits !== tokenBits(r.codebook)) throw bad(`bits ${JSON.stringify(r.bits)} do not match a ${r.codebook}-entry codebook`);
  if (r.coder !== 'bits' && r.coder !== 'deflate') throw bad(`unknown coder ${JSON.stringify(r.coder)}`);
  return { shape: [...(r.shape as number[])], codebook: r.codebook, bits: r.bits as number, coder: r.coder };
}

/**
 * Unpacks tokens: the exact inverse of {@link packTokens}. A truncated or padded body, a coder
 * byte that disagrees with `info`, bad DEFLATE data or a token ≥ K are coded errors
 * (WALLOC_ERR_VQ_STREAM, WALLOC_ERR_VQ_TOKEN).
 *
 * @example
 * const tokens = unpackTokens(data, info); // Uint16Array of 49 tokens
 */
export function unpackTokens(data: Uint8Array, info: TokenPackInfo): Uint16Array {
  const i = readTokenPackInfo(info);
  const count = i.shape.reduce((a, b) => a * b, 1);
  if (data.length < 1) throw werr('WALLOC_ERR_VQ_STREAM', { reason: 'empty token data (truncated)' });
  if (data[0] !== CODER_BYTE[i.coder]) throw werr('WALLOC_ERR_VQ_STREAM', { reason: `coder byte ${data[0]} does not match the declared coder "${i.coder}"` });
  let body = data.subarray(1);
  if (i.coder === 'deflate') {
    const need = Math.ceil((count * i.bits) / 8);
    try {
      // maxOutputLength stops a hostile stream from inflating to gigabytes; one byte more than
      // needed lets an over-long stream be told apart from an exact one.
      body = inflateRawSync(body, { maxOutputLength: need + 1 });
    } catch (e) {
      throw werr('WALLOC_ERR_VQ_STREAM', { reason: `bad DEFLATE data (${(e as Error).message})` }, e);
    }
  }
  const tokens = unpackBits(body, count, i.bits);
  checkTokens(tokens, i.codebook);
  return tokens;
}
