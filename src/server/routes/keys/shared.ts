import type { CallerContext } from '../../../stores/caller-evidence.js';
import type { KeyRecord } from '../../../stores/key-store.js';
import type { RedisKeyStore } from '../../../stores/redis-key-store.js';
import { idPattern } from '../../../stores/ids.js';
import type { requireScope } from '../../auth.js';
import { ApiError } from '../../errors.js';

type ScopeCheck = ReturnType<typeof requireScope>;

/** What every /api/v1/keys endpoint is given: the store and the scope checks, made once for all of them. */
export interface KeyRouteDeps {
  store: RedisKeyStore;
  admin: ScopeCheck;
  reader: ScopeCheck;
  gateway: ScopeCheck;
  /** Told of an authenticate that presented an active canary. */
  onCanary?: OnCanary;
}

/** Told of an authenticate that presented an active canary (after the 401 is decided; never awaited by it). */
export type OnCanary = (use: { secretSha256: string; hint: string; keyId: string; caller: CallerContext | undefined; at: Date }) => void;

// Ids are checked by their pattern here, at the edge, and again by the store before they become part of a Redis key name.
export const ID = { type: 'string', pattern: idPattern('key') } as const;
export const OWNER_ID = { type: 'string', pattern: idPattern('own') } as const;
// A key name: descriptive, at most 100 characters, no control characters.
export const NAME = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$',
} as const;
export const RATE_LIMIT = {
  type: 'object',
  required: ['requests', 'windowSeconds'],
  additionalProperties: false,
  properties: {
    requests: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    windowSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
  },
} as const;

/** The create and rotate answer: the only response that ever holds a key. */
export function shownOnce(created: { key: string; record: KeyRecord }) {
  const { id, name, hint, createdAt, ownerId, expiresAt, rateLimit, status, canary, canaryLabel, replaces } = created.record;
  return { id, name, key: created.key, hint, createdAt, ownerId, status, expiresAt, rateLimit, canary, canaryLabel, replaces };
}

/** The record, or the API's 404 for a key id that names none. */
export function found(record: KeyRecord | null, id: string): KeyRecord {
  if (!record) throw new ApiError(404, 'not_found', `no key ${id}`);
  return record;
}
