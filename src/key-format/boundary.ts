/**
 * Where a token starts and ends (docs/KEY_FORMAT.md, "Where a key starts and ends"):
 * a token is not glued to an ASCII letter, digit or `_`, except that the letter
 * ending a backslash escape (`\n`, `\r`, `\t`) and the hex digit ending a percent
 * escape (`%3D`) are separators, because keys are pasted into escaped text.
 */

/** ASCII letter, digit or underscore: a byte that glues onto a token. */
export function isWordByte(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f;
}

function isHexByte(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const ESCAPE_LETTERS = new Set([0x6e, 0x72, 0x74]); // n r t

/** True when the letter at `at` ends a backslash escape: an odd run of backslashes stands before it. */
function endsBackslashEscape(bytes: Uint8Array, at: number): boolean {
  if (!ESCAPE_LETTERS.has(bytes[at]!)) return false;
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && bytes[i] === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** True when the hex digit at `at` ends a percent escape `%XY`. */
function endsPercentEscape(bytes: Uint8Array, at: number): boolean {
  return at >= 2 && bytes[at - 2] === PERCENT && isHexByte(bytes[at - 1]) && isHexByte(bytes[at]);
}

/** True when a token may start at `start`: nothing glued on before it. */
export function isTokenStart(bytes: Uint8Array, start: number): boolean {
  if (start === 0) return true;
  const before = start - 1;
  if (!isWordByte(bytes[before])) return true;
  return endsBackslashEscape(bytes, before) || endsPercentEscape(bytes, before);
}

/** True when a token may end at `end` (exclusive): nothing glued on after it. */
export function isTokenEnd(bytes: Uint8Array, end: number): boolean {
  return end >= bytes.length || !isWordByte(bytes[end]);
}
