/**
 * Tokenizing, quoting and escaping for ffmpeg-style filter graphs.
 *
 * ffmpeg reads a graph description with one function, libavutil's `av_get_token(buf, term)`,
 * applied twice with different terminator sets: once on the whole description (level 2, the
 * "filter description" level, terminators `[],;`) and once more on each filter's argument string
 * (level 1, the "option value" level, terminator `:`). Link labels get a third, separate pass
 * (terminator `]`). Every escaping rule in this file is derived from that one function, so this
 * file ports it exactly ({@link getToken}) and builds the escapers as its inverses.
 *
 * `av_get_token` in short: skip leading whitespace (space, `\n`, `\t`, `\r` only); then copy
 * characters until an unquoted, unescaped terminator or the end; `\x` copies `x` literally;
 * `'…'` copies everything up to the next `'` literally (there is no way to put `'` inside
 * quotes: close, escape, reopen, as in `'Crime d'\''Amour'`); finally strip trailing whitespace
 * that was neither escaped nor quoted.
 *
 * @module
 */
import { werr } from '../src/errors.js';

/** The whitespace set of libavutil (`WHITESPACES` in avstring.c, opt.c and graphparser.c). */
export const WHITESPACE = ' \n\t\r';

/** Characters escaped at level 1 (an option value inside a filter's argument string). */
export const OPTION_VALUE_SPECIALS = "\\':";

/** Characters escaped at level 2 (a filter's argument string inside a graph description). */
export const FILTER_ARGS_SPECIALS = "\\'[],;";

/** Characters escaped inside a link label `[…]` (parsed by `av_get_token(buf, "]")`). */
export const LABEL_SPECIALS = "\\']";

/**
 * True for the four characters libavutil treats as whitespace (and no others: not `\v`, `\f`, NBSP).
 *
 * @example
 * isWhitespace('\t');     // true
 * isWhitespace('\u00a0'); // false
 */
export const isWhitespace = (c: string | undefined): boolean =>
  c === ' ' || c === '\n' || c === '\t' || c === '\r';

/** Result of {@link getToken}. Indices are UTF-16 code-unit offsets into the input. */
export interface Token {
  /** The unescaped, unquoted, whitespace-trimmed text. */
  readonly value: string;
  /** Index of the first character after leading whitespace (where the token text starts). */
  readonly start: number;
  /** Index where reading stopped: at the terminator that ended the token, or `input.length`. */
  readonly end: number;
  /**
   * Index just after the last character that belongs to the token (its last kept character, or
   * the closing quote): `end` minus the trailing whitespace that was skipped. Equals `start` for
   * an empty token.
   */
  readonly contentEnd: number;
  /** For each UTF-16 unit of `value`, the index in `input` it was copied from (for error carets). */
  readonly sourceIndex: readonly number[];
  /**
   * Index of an opening `'` that was never closed. ffmpeg silently runs such a quote to the end
   * of the string; callers in walloc report it as an error instead (see docs/filtergraph.md).
   */
  readonly unterminatedQuote?: number;
}

/**
 * A faithful port of libavutil's `av_get_token()`: reads one token from `input` starting at
 * `from`, stopping at the first unquoted, unescaped character of `terminators`.
 *
 * Behaviours kept on purpose because ffmpeg has them: a backslash at the very end of the input is
 * kept literally; an unterminated quote runs to the end (reported in `unterminatedQuote` so the
 * caller can refuse it); escaped or quoted whitespace at either end survives trimming.
 *
 * @example
 * getToken("  'Crime d'\\''Amour'  :next", 0, ':').value; // "Crime d'Amour"
 * getToken('a\\:b:c', 0, ':');                              // { value: 'a:b', end: 4, ... }
 */
export function getToken(input: string, from: number, terminators: string): Token {
  const n = input.length;
  let p = from;
  while (p < n && isWhitespace(input[p])) p++;
  const start = p;
  let out = '';
  const sourceIndex: number[] = [];
  // `protectedLength` is av_get_token's `end`: output up to here was escaped or quoted and must
  // not be trimmed even if it is whitespace.
  let protectedLength = 0;
  let unterminatedQuote: number | undefined;
  let contentEnd = start;
  while (p < n && !terminators.includes(input[p]!)) {
    const c = input[p]!;
    p++;
    if (c === '\\' && p < n) {
      out += input[p];
      sourceIndex.push(p);
      p++;
      protectedLength = out.length;
      contentEnd = p;
    } else if (c === "'") {
      const quoteAt = p - 1;
      while (p < n && input[p] !== "'") {
        out += input[p];
        sourceIndex.push(p);
        p++;
      }
      if (p < n) {
        p++;
        protectedLength = out.length;
      } else {
        unterminatedQuote = quoteAt;
      }
      contentEnd = p;
    } else {
      out += c;
      sourceIndex.push(p - 1);
      if (!isWhitespace(c)) contentEnd = p;
    }
  }
  let len = out.length;
  while (len > protectedLength && isWhitespace(out[len - 1])) len--;
  if (len < out.length) {
    out = out.slice(0, len);
    sourceIndex.length = len;
  }
  return unterminatedQuote === undefined
    ? { value: out, start, end: p, contentEnd, sourceIndex }
    : { value: out, start, end: p, contentEnd, sourceIndex, unterminatedQuote };
}

function assertNoNul(value: string, what: string): void {
  const at = value.indexOf('\0');
  if (at >= 0) {
    // ffmpeg descriptions are C strings: a NUL would silently truncate the graph there.
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} contains a NUL character at index ${at}` });
  }
}

/**
 * Backslash-escapes every character of `specials`, plus a leading and a trailing whitespace
 * character (av_get_token would trim them). Only the first and last characters need protecting:
 * once one end is escaped, every whitespace between it and the text is no longer leading/trailing.
 */
function escapeWith(value: string, specials: string): string {
  let out = '';
  const last = value.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = value[i]!;
    if (specials.includes(c) || ((i === 0 || i === last) && isWhitespace(c))) out += '\\';
    out += c;
  }
  return out;
}

/** The key characters of libavutil opt.c `is_key_char`: `[A-Za-z0-9_./-]`. */
export const OPTION_KEY_PATTERN = /^[A-Za-z0-9_./-]+$/;

/**
 * What `get_key()` in libavutil/opt.c would accept as "key =": optional whitespace, key
 * characters (possibly none), optional whitespace, `=`. A positional value whose escaped text
 * matches this would be read as `key=value`, so its `=` has to be escaped.
 */
const LOOKS_KEYED = /^[ \n\t\r]*[A-Za-z0-9_./-]*[ \n\t\r]*=/;

/**
 * Escapes one option value for a filter's argument string (ffmpeg's level 1: `\`, `'` and `:`
 * get a backslash; so does whitespace at either end). The empty string becomes `''` so it
 * survives as a value of its own. With `positional: true` an `=` that would make the value read
 * as `key=value` is escaped too.
 *
 * @example
 * escapeOptionValue("this is a 'string': may contain one, or more, special characters");
 * // "this is a \\'string\\'\\: may contain one, or more, special characters"
 * escapeOptionValue('a=b', { positional: true }); // "a\\=b"
 * escapeOptionValue(' x');                        // "\\ x"
 */
export function escapeOptionValue(value: string, opts: { positional?: boolean } = {}): string {
  assertNoNul(value, 'option value');
  if (value === '') return "''";
  const s = escapeWith(value, OPTION_VALUE_SPECIALS);
  if (opts.positional) {
    const m = LOOKS_KEYED.exec(s);
    if (m) {
      const eq = m[0].length - 1;
      return `${s.slice(0, eq)}\\${s.slice(eq)}`;
    }
  }
  return s;
}

/**
 * Inverse of {@link escapeOptionValue}: what ffmpeg reads as one option value from `escaped`.
 * Throws `WALLOC_ERR_INVALID_ARGUMENT` if `escaped` contains an unescaped `:` (it would be two
 * values) or an unterminated quote.
 *
 * @example
 * unescapeOptionValue("'Crime d'\\''Amour'"); // "Crime d'Amour"
 * unescapeOptionValue('a\\:b');              // "a:b"
 */
export function unescapeOptionValue(escaped: string): string {
  return unescapeWhole(escaped, ':', 'option value');
}

/**
 * Escapes a filter's whole argument string (already level-1 text such as `text=a\:b`) for
 * use inside a graph description (ffmpeg's level 2: `\`, `'`, `[`, `]`, `,`, `;` get a backslash;
 * so does whitespace at either end).
 *
 * @example
 * escapeFilterArgs("text=this is a \\'string\\'\\: may contain one, or more, special characters");
 * // "text=this is a \\\\\\'string\\\\\\'\\\\: may contain one\\, or more\\, special characters"
 */
export function escapeFilterArgs(args: string): string {
  assertNoNul(args, 'filter arguments');
  return escapeWith(args, FILTER_ARGS_SPECIALS);
}

/**
 * Inverse of {@link escapeFilterArgs}: the level-1 argument string ffmpeg hands to the filter.
 * Throws `WALLOC_ERR_INVALID_ARGUMENT` on an unescaped `[`, `]`, `,` or `;` or an unterminated quote.
 *
 * @example
 * unescapeFilterArgs("eq(pict_type\\,I)");   // "eq(pict_type,I)"
 * unescapeFilterArgs("'eq(pict_type\\,I)'"); // "eq(pict_type\\,I)" (quotes keep the backslash for level 1)
 */
export function unescapeFilterArgs(escaped: string): string {
  return unescapeWhole(escaped, '[],;', 'filter arguments');
}

/**
 * Escapes a link label for `[…]`: `\`, `'`, `]` and whitespace at either end. Labels may
 * otherwise contain anything (`0:v`, `a,b`, `x[1`), because ffmpeg reads them with
 * `av_get_token(buf, "]")`. Throws on an empty label (ffmpeg rejects `[]`).
 *
 * @example
 * escapeLabel('0:v');   // "0:v"
 * escapeLabel('a]b');   // "a\\]b"
 */
export function escapeLabel(label: string): string {
  assertNoNul(label, 'label');
  if (label === '') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'a link label cannot be empty' });
  return escapeWith(label, LABEL_SPECIALS);
}

/**
 * Inverse of {@link escapeLabel} (the text between `[` and `]`).
 *
 * @example
 * unescapeLabel(' out ');  // "out"
 * unescapeLabel('a\\]b');  // "a]b"
 */
export function unescapeLabel(escaped: string): string {
  return unescapeWhole(escaped, ']', 'label');
}

function unescapeWhole(escaped: string, terminators: string, what: string): string {
  assertNoNul(escaped, what);
  const tok = getToken(escaped, 0, terminators);
  if (tok.unterminatedQuote !== undefined) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} has an unterminated quote at index ${tok.unterminatedQuote}` });
  }
  if (tok.end < escaped.length) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', {
      reason: `${what} has an unescaped '${escaped[tok.end]}' at index ${tok.end}`,
    });
  }
  return tok.value;
}

/**
 * Splits a list-valued option (`format=pix_fmts=yuv420p|rgb24`) into its items. ffmpeg's list
 * options split on the separator with no escaping of their own, so neither does this; a `|` that
 * must reach a filter literally cannot be written in a list-valued option.
 *
 * @example
 * splitListValue('yuv420p|rgb24'); // ['yuv420p', 'rgb24']
 * splitListValue('');              // []
 */
export function splitListValue(value: string, separator = '|'): string[] {
  return value === '' ? [] : value.split(separator);
}

/**
 * Joins list items with the separator; throws `WALLOC_ERR_INVALID_ARGUMENT` if an item contains
 * the separator (it could not be split back).
 *
 * @example
 * joinListValue(['yuv420p', 'rgb24']); // 'yuv420p|rgb24'
 */
export function joinListValue(items: readonly string[], separator = '|'): string {
  for (const item of items) {
    if (item.includes(separator)) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `list item "${item}" contains the separator '${separator}'` });
    }
  }
  return items.join(separator);
}
