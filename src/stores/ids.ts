import { randomInt } from 'node:crypto';
import { BASE62_ALPHABET } from '../key-format/base62.js';

/** A random id with a type prefix (`key_…`, `own_…`, `tok_…`): 16 base62 characters, about 95 bits. */
export function newId(prefix: string): string {
  let id = `${prefix}_`;
  for (let i = 0; i < 16; i++) id += BASE62_ALPHABET[randomInt(62)];
  return id;
}
