/** The base62 alphabet of docs/KEY_FORMAT.md, in digit order (value 0 first). */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Writes `value` (an unsigned integer) in base62, left-padded with `0` to `width` characters. */
export function toBase62(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not an unsigned integer: ${value}`);
  let out = '';
  let rest = value;
  do {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  if (out.length > width) throw new RangeError(`${value} does not fit in ${width} base62 digits`);
  return out.padStart(width, '0');
}

/** True for the byte of an ASCII character of the base62 alphabet. */
export function isBase62Byte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}
