import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET } from '../../src/key-format/base62.js';
import { checksumOf, sha256Hex } from '../../src/key-format/key.js';
import { scanBuffer } from '../../src/scanner/scan-buffer.js';
import { BUILTIN } from '../helpers/rules.js';

const base62 = fc.constantFrom(...BASE62_ALPHABET.split(''));
const secret = fc.array(base62, { minLength: 32, maxLength: 32 }).map((cs) => cs.join(''));
const keyArb = secret.map((s) => `neev_${s}${checksumOf(`neev_${s}`)}`);
// Text around keys: anything, but it must end (and start) with a separator so the key stays a whole token.
const filler = fc.string({ unit: 'grapheme', maxLength: 80 });
const separator = fc.constantFrom(' ', '\n', '"', '=', '\r\n', '\t', ',', '(', '/', '\u00e9', '😀');

function expectedPosition(text: string, index: number) {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

describe('property: keys at random places in random text', () => {
  it('are always found, exactly, with line and column', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, separator, keyArb, separator), { minLength: 1, maxLength: 5 }), filler, (parts, tail) => {
        let text = '';
        const expected: Array<{ line: number; column: number; sha: string }> = [];
        for (const [pre, open, key, close] of parts) {
          text += pre + open;
          expected.push({ ...expectedPosition(text, text.length), sha: sha256Hex(key) });
          text += key + close;
        }
        text += tail;
        // The random filler may itself hold glued characters next to a separator-less edge; we control both edges.
        const found = scanBuffer(Buffer.from(text, 'utf8'), BUILTIN);
        expect(found.map((f) => ({ line: f.line, column: f.column, sha: f.secretSha256 }))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('random base62 text never yields a finding', () => {
    fc.assert(
      fc.property(fc.array(base62, { minLength: 0, maxLength: 2000 }), fc.array(fc.nat(2000), { maxLength: 5 }), (chars, cuts) => {
        // Plant the prefix at random places so the checksum, not the prefix search, has to say no.
        for (const at of cuts) chars.splice(Math.min(at, chars.length), 0, 'n', 'e', 'e', 'v', '_');
        expect(scanBuffer(Buffer.from(chars.join(''), 'ascii'), BUILTIN)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('random shapes with a wrong checksum are never reported', () => {
    fc.assert(
      fc.property(secret, fc.array(base62, { minLength: 6, maxLength: 6 }), (s, check) => {
        const body = `neev_${s}`;
        const candidate = body + check.join('');
        fc.pre(check.join('') !== checksumOf(body));
        expect(scanBuffer(Buffer.from(` ${candidate} `), BUILTIN)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
