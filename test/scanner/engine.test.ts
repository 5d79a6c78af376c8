import { describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { scanBuffer } from '../../src/scanner/scan-buffer.js';
import { BUILTIN } from '../helpers/rules.js';

const scan = (text: string | Buffer) => scanBuffer(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), BUILTIN);
const V = 'neev_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAe2VpzQj'; // neevscan:allow

describe('key boundaries (docs/KEY_FORMAT.md)', () => {
  // Every context the spec lists as holding a key, with the column where the key starts.
  it.each([
    [`"${V}"`, 2],
    [`=${V}`, 2],
    [`?key=${V}&`, 6],
    [`${V}`, 1],
    [`a ${V}\n`, 3],
    [`\\"${V}\\"`, 3],
    [`\\n${V}`, 3],
    [`\\r${V}`, 3],
    [`\\t${V}`, 3],
    [`\\\\\\n${V}`, 5], // three backslashes: an escaped backslash, then \n
    [`%3D${V}`, 4],
    [`api_key%3d${V}`, 11],
    [`key:${V}.`, 5],
    [`é ${V}`, 3], // é is one UTF-16 unit
    [`😀${V}`, 3], // an emoji is two UTF-16 units
  ])('finds the key in %j at column %i', (text, column) => {
    const found = scan(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 1, column, endColumn: column + 43, secretSha256: sha256Hex(V), redacted: 'neev_…pzQj' });
  });

  it.each([
    [`x${V}`, 'glued letter before'],
    [`_${V}`, 'underscore before'],
    [`9${V}`, 'digit before'],
    [`${V}0`, 'a 44th base62 character'],
    [`${V}_`, 'underscore after'],
    [`\\\\n${V}`, 'an escaped backslash, then a plain n'],
    [`\\x${V}`, 'x does not end an escape we know'],
    [`%3G${V}`, 'G is not a hex digit'],
    [`3D${V}`, 'no percent sign'],
    [`NEEV_${V.slice(5)}`, 'prefix case'],
    [`${V.slice(0, -1)}k`, 'checksum changed'],
  ])('finds nothing in %j (%s)', (text) => {
    expect(scan(text)).toEqual([]);
  });

  it('reports line and column on CRLF text', () => {
    const key = generateKey();
    const found = scan(`one\r\ntwo\r\n  token: ${key}\r\n`);
    expect(found).toMatchObject([{ line: 3, column: 10 }]);
  });

  it('scans binary data and invalid UTF-8 as bytes', () => {
    const key = generateKey();
    const bytes = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28, 0x20]), Buffer.from(key), Buffer.from([0, 1, 2])]);
    const found = scan(bytes);
    // Line 2 holds 0xC3 0x28 0x20 before the key: an invalid sequence (U+FFFD), '(', ' '.
    expect(found).toMatchObject([{ line: 2, column: 4, secretSha256: sha256Hex(key) }]);
  });

  it('finds several keys in one line and across lines, in order', () => {
    const [a, b, c] = [generateKey(), generateKey(), generateKey()];
    const found = scan(`${a},${b}\n\n${c}`);
    expect(found.map((f) => [f.line, f.column, f.secretSha256])).toEqual([
      [1, 1, sha256Hex(a)],
      [1, 45, sha256Hex(b)],
      [3, 1, sha256Hex(c)],
    ]);
  });

  it('marks a key allowed by neevscan:allow on its own line only', () => {
    const [a, b] = [generateKey(), generateKey()];
    const found = scan(`k1 = "${a}" # neevscan:allow\nk2 = "${b}"\n`);
    expect(found.map((f) => f.allowed)).toEqual([true, false]);
  });

  it('never puts the raw key in what it returns', () => {
    const key = generateKey();
    const found = scan(`secret=${key}`);
    expect(JSON.stringify(found)).not.toContain(key.slice(5));
  });
});

describe('UTF-16 text', () => {
  it.each(['utf16le', 'utf16be'] as const)('finds a key in %s text with a byte-order mark, at its line and column', (encoding) => {
    const key = generateKey();
    const text = `\ufeffline one\r\n  token = "${key}"\r\n`;
    let bytes = Buffer.from(text, 'utf16le');
    if (encoding === 'utf16be') bytes = Buffer.from(bytes).swap16();
    const found = scan(bytes);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 2, column: 12, secretSha256: sha256Hex(key) });
  });

  it('still finds ASCII keys in a binary file that happens to start like a byte-order mark', () => {
    const key = generateKey();
    const found = scan(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 1, 2, 0x0a]), Buffer.from(` ${key} `)]));
    expect(found.map((f) => f.secretSha256)).toEqual([sha256Hex(key)]);
  });
});
