import { randomInt } from 'node:crypto';
import { BASE62_ALPHABET } from '../key-format/base62.js';

/** The kinds of id this service makes: owners, keys, API tokens, alerts. */
export type IdKind = 'own' | 'key' | 'tok' | 'alt';

const NAMES: Record<IdKind, string> = { own: 'owner', key: 'key', tok: 'token', alt: 'alert' };

/** An id's pattern, for route schemas: the kind's prefix and 16 base62 characters. */
export const idPattern = (kind: IdKind) => `^${kind}_[0-9A-Za-z]{16}$`;
/** Any of the kinds (routes that take more than one). */
export const ANY_ID_PATTERN = '^[a-z]{3}_[0-9A-Za-z]{16}$';

/** Whether the character code is base62's: 0-9, A-Z, a-z. */
const isBase62 = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * A string that is not an id of its kind, refused before it can become part
 * of a Redis key name (`own_x:keys` would otherwise name another record's
 * key). Answered 400 by the API.
 */
export class InvalidIdError extends Error {
  readonly status = 400;
  readonly code = 'bad_request';
  constructor(readonly kind: IdKind) {
    super(`not an ${NAMES[kind]} id (${kind}_ and 16 letters or digits)`);
  }
}

/**
 * idPattern(kind), checked character by character: ids arrive in paths, queries and bodies, and a push checks a few
 * dozen on the way through the stores, where a native RE2 call each cost more than the check itself. A fixed length
 * and a fixed alphabet: no regex, so nothing for a hostile string to make slow.
 */
export function isId(kind: IdKind, value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 20 || !value.startsWith(kind) || value.charCodeAt(3) !== 95) return false;
  for (let i = 4; i < 20; i++) if (!isBase62(value.charCodeAt(i))) return false;
  return true;
}

/** `value` if it is an id of `kind`; InvalidIdError if not. */
export function checkId(kind: IdKind, value: string): string {
  if (!isId(kind, value)) throw new InvalidIdError(kind);
  return value;
}

/**
 * A random id with a type prefix (`key_…`, `own_…`, `tok_…`): 16 base62 characters, about 95 bits. `head` (base62)
 * takes the first characters: a key id starts with its shard tag (key-store-names.ts), leaving 14 random (83 bits).
 */
export function newId(prefix: IdKind, head = ''): string {
  let id = `${prefix}_${head}`;
  while (id.length < 20) id += BASE62_ALPHABET[randomInt(62)];
  return id;
}
