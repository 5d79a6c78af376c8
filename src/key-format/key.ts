import { nodeCrypto } from './node-crypto.js';
import { BASE62_ALPHABET, isBase62Byte, toBase62 } from './base62.js';
import { crc32 } from './crc32.js';

/** docs/KEY_FORMAT.md, version 1. */
export const KEY_PREFIX = 'neev_';
export const SECRET_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;
export const KEY_LENGTH = KEY_PREFIX.length + SECRET_LENGTH + CHECKSUM_LENGTH; // 43

const PREFIX_BYTES = Buffer.from(KEY_PREFIX, 'ascii');
const BODY_LENGTH = KEY_PREFIX.length + SECRET_LENGTH;

/** The checksum characters for a prefix + secret. */
export function checksumOf(prefixAndSecret: string): string {
  return toBase62(crc32(Buffer.from(prefixAndSecret, 'ascii')), CHECKSUM_LENGTH);
}

/** A new key: 32 base62 characters from the CSPRNG, then the checksum. */
export function generateKey(): string {
  let secret = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < SECRET_LENGTH; i++) secret += BASE62_ALPHABET[nodeCrypto().randomInt(62)];
  const body = KEY_PREFIX + secret;
  return body + checksumOf(body);
}

/**
 * True when `bytes[start, start + 43)` has the key's shape and a matching checksum.
 * Boundaries (what stands around the key) are not checked here: see boundary.ts.
 */
export function hasValidKeyAt(bytes: Uint8Array, start: number): boolean {
  if (start < 0 || start + KEY_LENGTH > bytes.length) return false;
  for (let i = 0; i < PREFIX_BYTES.length; i++) if (bytes[start + i] !== PREFIX_BYTES[i]) return false;
  for (let i = start + PREFIX_BYTES.length; i < start + KEY_LENGTH; i++) if (!isBase62Byte(bytes[i]!)) return false;
  let crc = crc32(bytes, start, start + BODY_LENGTH);
  // Compare the checksum digits from the last one back, without building a string.
  for (let i = start + KEY_LENGTH - 1; i >= start + BODY_LENGTH; i--) {
    if (bytes[i] !== BASE62_ALPHABET.charCodeAt(crc % 62)) return false;
    crc = Math.floor(crc / 62);
  }
  return crc === 0;
}

/** True for a string that is exactly one valid key (shape and checksum). */
export function isValidKey(candidate: string): boolean {
  if (candidate.length !== KEY_LENGTH) return false;
  const bytes = Buffer.from(candidate, 'latin1');
  return bytes.length === KEY_LENGTH && Buffer.from(candidate, 'utf8').length === KEY_LENGTH && hasValidKeyAt(bytes, 0);
}

/** sha256 as lowercase hex: how the key store keeps a key and how findings name it. */
export function sha256Hex(secret: string | Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(secret).digest('hex');
}

/** The display hint of docs/KEY_FORMAT.md: `neev_…` plus the last four characters. */
export function keyHint(key: string): string {
  return `${KEY_PREFIX}…${key.slice(-4)}`;
}
