import { describe, expect, it } from 'vitest';
import { toBase62 } from '../../src/key-format/base62.js';
import { crc32 } from '../../src/key-format/crc32.js';
import { KEY_LENGTH, checksumOf, generateKey, hasValidKeyAt, isValidKey, keyHint, sha256Hex } from '../../src/key-format/key.js';

// The test vectors of docs/KEY_FORMAT.md.
const VECTORS = [
  {
    key: 'neev_000000000000000000000000000000000Z2ChR', // neevscan:allow
    crc: 517697237,
    sha: 'c505ac74a8b8f4bcbe3db9c49732ac1ff9dbf87d32fb9251e65cc84ba06913d2',
  },
  {
    key: 'neev_abcdefghijklmnopqrstuvwxyzABCDEF45kcDH', // neevscan:allow
    crc: 3749522991,
    sha: '41771102719e46d3588afc689627a9db72414390cc37cb71ba7c3235dac3cb96',
  },
  {
    key: 'neev_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ0rR2F4', // neevscan:allow
    crc: 789589286,
    sha: '7791a1358a9797720b9a49c119d23f592441def9f6f1684e90a7b9d0db7e4f96',
  },
  {
    key: 'neev_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAe2VpzQj', // neevscan:allow
    crc: 2302722949,
    sha: 'dbc60ebd0b3625d6671bdf17353b6bc893ecf755b3d43181bbccaf22afe79157',
  },
];

describe('key format (docs/KEY_FORMAT.md)', () => {
  it.each(VECTORS)('vector $key: CRC-32, checksum, sha256, hint', ({ key, crc, sha }) => {
    const body = key.slice(0, 37);
    expect(crc32(Buffer.from(body, 'ascii'))).toBe(crc);
    expect(checksumOf(body)).toBe(key.slice(37));
    expect(isValidKey(key)).toBe(true);
    expect(sha256Hex(key)).toBe(sha);
    expect(keyHint(key)).toBe(`neev_…${key.slice(-4)}`);
  });

  it('the hint of the last vector is neev_…pzQj', () => {
    expect(keyHint(VECTORS[3]!.key)).toBe('neev_…pzQj');
  });

  it('agrees with zlib crc32 where Node has it', async () => {
    const zlib = (await import('node:zlib')) as { crc32?: (data: Buffer) => number };
    if (!zlib.crc32) return;
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(generateKey(), 'ascii');
      expect(crc32(bytes)).toBe(zlib.crc32(bytes));
    }
  });

  it.each([
    ['neev_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAe2VpzQk', 'last checksum character changed'], // neevscan:allow
    ['NEEV_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAe2VpzQj', 'prefix case'], // neevscan:allow
    ['neev_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAe2VpzQj0', '44 characters'], // neevscan:allow
    ['neev_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAe2Vpz', 'too short'], // neevscan:allow
    ['neev_Q7v2LmX9pR4tK8wN3bY6cJ1hF5dG0sAé2VpzQ', 'non-ASCII'], // neevscan:allow
    ['', 'empty'],
  ])('rejects %s (%s)', (candidate) => {
    expect(isValidKey(candidate)).toBe(false);
  });

  it('generates valid, distinct 43-character keys', () => {
    const keys = new Set(Array.from({ length: 500 }, generateKey));
    expect(keys.size).toBe(500);
    for (const key of keys) {
      expect(key).toMatch(/^neev_[0-9A-Za-z]{38}$/);
      expect(key).toHaveLength(KEY_LENGTH);
      expect(isValidKey(key)).toBe(true);
    }
  });

  it('writes the checksum left-padded to six base62 digits', () => {
    expect(toBase62(0, 6)).toBe('000000');
    expect(toBase62(61, 6)).toBe('00000z');
    expect(toBase62(62, 6)).toBe('000010');
    expect(toBase62(0xffffffff, 6)).toBe('4gfFC3');
    expect(() => toBase62(62 ** 6, 6)).toThrow(RangeError);
  });

  it('checks a key inside a larger buffer at an offset', () => {
    const key = generateKey();
    const bytes = Buffer.from(`xx${key}yy`);
    expect(hasValidKeyAt(bytes, 2)).toBe(true);
    expect(hasValidKeyAt(bytes, 1)).toBe(false);
    expect(hasValidKeyAt(bytes, bytes.length - 10)).toBe(false);
  });
});
