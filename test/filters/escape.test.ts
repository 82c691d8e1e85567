// Escaping levels of ffmpeg filter graphs (FFmpeg doc/filters.texi "Notes on filtergraph escaping",
// doc/utils.texi "Quoting and escaping") and the av_get_token port they are built on.
import t from 'tap';
import fc from 'fast-check';
import {
  escapeFilterArgs,
  escapeLabel,
  escapeOptionValue,
  getToken,
  joinListValue,
  splitListValue,
  unescapeFilterArgs,
  unescapeLabel,
  unescapeOptionValue,
} from '../../filters/escape.js';
import { isWallocError } from '../../src/errors.js';

// Characters that matter to some level, weighted heavily, plus arbitrary code points (lone
// surrogates included: the tokenizer works on UTF-16 units and must not care).
const special = fc.constantFrom(' ', '\t', '\n', '\r', '\\', "'", ':', '=', '[', ']', ',', ';', '@', '|', '"', 'a', '_', '0', '/');
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !c.includes('\0'));
const char = fc.oneof({ arbitrary: special, weight: 3 }, { arbitrary: anyChar, weight: 1 });
const text = (maxLength = 16, minLength = 0) => fc.string({ unit: char, minLength, maxLength });

const DOC_VALUE = "this is a 'string': may contain one, or more, special characters";
const DOC_LEVEL1 = "text=this is a \\'string\\'\\: may contain one, or more, special characters";
const DOC_LEVEL2 = "text=this is a \\\\\\'string\\\\\\'\\\\: may contain one\\, or more\\, special characters";

t.test('the documented drawtext example, level by level', (tt) => {
  tt.equal('text=' + escapeOptionValue(DOC_VALUE), DOC_LEVEL1);
  tt.equal(escapeFilterArgs(DOC_LEVEL1), DOC_LEVEL2);
  tt.equal(unescapeFilterArgs(DOC_LEVEL2), DOC_LEVEL1);
  tt.equal(unescapeOptionValue(DOC_LEVEL1.slice('text='.length)), DOC_VALUE);
  tt.end();
});

t.test("utils.texi quoting: 'Crime d'\\''Amour'", (tt) => {
  tt.equal(unescapeOptionValue("'Crime d'\\''Amour'"), "Crime d'Amour");
  tt.equal(getToken("'Crime d'\\''Amour'", 0, ':').value, "Crime d'Amour");
  // walloc's escaper uses backslashes instead of quotes; both read back the same.
  tt.equal(escapeOptionValue("Crime d'Amour"), "Crime d\\'Amour");
  tt.end();
});

t.test('av_get_token behaviours', (tt) => {
  const tok = (s: string, term = ':') => getToken(s, 0, term);
  tt.equal(tok('  abc  :x').value, 'abc', 'leading and trailing whitespace stripped');
  tt.equal(tok('  abc  :x').end, 7, 'stops at the terminator');
  tt.equal(tok('\\ abc\\ ').value, ' abc ', 'escaped whitespace survives');
  tt.equal(tok("' abc '").value, ' abc ', 'quoted whitespace survives');
  tt.equal(tok("a ' b ' ").value, 'a  b ', 'quote protects up to its end, later whitespace trimmed');
  tt.equal(tok('a\\').value, 'a\\', 'a lone trailing backslash is kept');
  tt.equal(tok("'a:b':c").value, 'a:b', 'terminators inside quotes are literal');
  tt.equal(tok("'a\\b'").value, 'a\\b', 'backslash inside quotes is literal');
  tt.equal(tok('a\\:b:c').value, 'a:b');
  tt.equal(tok('\v a \f').value, '\v a \f', 'only space, \\t, \\n, \\r are whitespace');
  tt.equal(tok("'abc").unterminatedQuote, 0, 'an unterminated quote is reported');
  tt.equal(tok("'abc").value, 'abc', '…and, like ffmpeg, runs to the end');
  tt.same(tok("x 'a' y").sourceIndex, [0, 1, 3, 5, 6], 'source indices skip quotes');
  tt.equal(getToken('[a]', 1, ']').value, 'a');
  tt.same([tok('  ab  :').start, tok('  ab  :').contentEnd, tok('  ab  :').end], [2, 4, 6], 'start, contentEnd, end');
  tt.equal(tok("'a '  ").contentEnd, 4, 'a closing quote is content');
  tt.equal(tok('a\\  ').contentEnd, 3, 'an escaped character is content');
  tt.end();
});

t.test('escapeOptionValue', (tt) => {
  tt.equal(escapeOptionValue(''), "''", 'empty value stays a value');
  tt.equal(escapeOptionValue('a:b'), 'a\\:b');
  tt.equal(escapeOptionValue('a,b;[c]'), 'a,b;[c]', 'graph-level characters are level 2 business');
  tt.equal(escapeOptionValue('  x  '), '\\  x \\ ', 'only the outermost whitespace needs a backslash');
  tt.equal(escapeOptionValue(' '), '\\ ');
  tt.equal(escapeOptionValue('a=b'), 'a=b', 'after key= an = is literal');
  tt.equal(escapeOptionValue('a=b', { positional: true }), 'a\\=b', 'positional: would read as key=value');
  tt.equal(escapeOptionValue('=b', { positional: true }), '\\=b', 'get_key accepts an empty key');
  tt.equal(escapeOptionValue(' a =b', { positional: true }), '\\ a =b', "the escaped space already stops get_key");
  tt.equal(escapeOptionValue('a b=c', { positional: true }), 'a b=c', 'not a key: space then a key char');
  tt.equal(escapeOptionValue('x+y=z', { positional: true }), 'x+y=z', "'+' is not a key character");
  tt.equal(escapeOptionValue('./p-q_1=z', { positional: true }), './p-q_1\\=z');
  tt.throws(() => escapeOptionValue('a\0b'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});

t.test('unescape helpers reject what is not one value', (tt) => {
  tt.throws(() => unescapeOptionValue('a:b'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => unescapeOptionValue("'a"), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => unescapeFilterArgs('a,b'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => unescapeFilterArgs('a]'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => unescapeLabel('a]b'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => escapeLabel(''), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.equal(unescapeFilterArgs("'eq(pict_type\\,I)'"), 'eq(pict_type\\,I)');
  tt.equal(unescapeFilterArgs('eq(pict_type\\,I)'), 'eq(pict_type,I)');
  tt.equal(escapeLabel('0:v'), '0:v');
  tt.equal(escapeLabel(' a]b '), '\\ a\\]b\\ ');
  tt.equal(escapeLabel('x[1'), 'x[1', "'[' needs no escape inside a label");
  tt.end();
});

t.test('list values', (tt) => {
  tt.same(splitListValue('yuv420p|rgb24'), ['yuv420p', 'rgb24']);
  tt.same(splitListValue(''), []);
  tt.same(splitListValue('a,b', ','), ['a', 'b']);
  tt.equal(joinListValue(['yuv420p', 'rgb24']), 'yuv420p|rgb24');
  tt.throws(() => joinListValue(['a|b']), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});

t.test('property: every escaper is inverted by its unescaper', (tt) => {
  fc.assert(
    fc.property(text(), (v) => {
      tt.equal(unescapeOptionValue(escapeOptionValue(v)), v);
      tt.equal(unescapeOptionValue(escapeOptionValue(v, { positional: true })), v);
      tt.equal(unescapeFilterArgs(escapeFilterArgs(v)), v);
      // Both levels stacked, as a value goes into a graph.
      tt.equal(unescapeOptionValue(unescapeFilterArgs(escapeFilterArgs(escapeOptionValue(v)))), v);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(text(16, 1), (l) => {
      tt.equal(unescapeLabel(escapeLabel(l)), l);
    }),
    { numRuns: 300 },
  );
  tt.end();
});

t.test('property: unescapers either return or throw a WallocError', (tt) => {
  fc.assert(
    fc.property(text(24), (s) => {
      for (const f of [unescapeOptionValue, unescapeFilterArgs, unescapeLabel]) {
        try {
          f(s);
        } catch (e) {
          if (!isWallocError(e, 'WALLOC_ERR_INVALID_ARGUMENT')) throw e;
        }
      }
    }),
    { numRuns: 500 },
  );
  tt.pass('no other exceptions');
  tt.end();
});
