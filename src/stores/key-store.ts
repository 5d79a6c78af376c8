/**
 * What the detection pipeline needs from a key store, and the records it sees.
 * Two implementations: RedisKeyStore (this project's own store) and
 * HttpKeyStore (an external key-management service over the JSON contract in
 * docs/KEY_STORE_API.md). Neither ever holds or returns a raw key, except the
 * one create/rotate response that shows it to its owner once.
 */

export type { KeyStatus } from '../core/key-status.js';
import type { KeyStatus } from '../core/key-status.js';
export type RevokedBy = 'owner' | 'admin' | 'leak-detector';

export interface KeyRecord {
  id: string;
  ownerId: string;
  name: string;
  hint: string;
  status: KeyStatus;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  revokedBy: RevokedBy | null;
  expiresAt: string | null;
  /** The key that replaced this one by rotation, if any. */
  rotatedTo: string | null;
  rateLimit: { requests: number; windowSeconds: number };
}

export interface Owner {
  id: string;
  name: string;
  email: string | null;
  webhookUrl: string | null;
  createdAt: string;
}

export interface UsageBucket {
  /** The start of the hour, ISO 8601. */
  hour: string;
  requests: number;
  tokens: number;
}

/** A key store that cannot answer now: retry later. Never to be read as "no such key". Defined with the other errors in core. */
export { KeyStoreUnavailableError } from '../core/errors.js';

export interface KeyStore {
  /** The key whose sha256 (lowercase hex) this is, or null if the store has none. */
  findByHash(sha256: string): Promise<KeyRecord | null>;
  /** Revokes at once; idempotent (a revoked key stays as it was first revoked). Null for an unknown id. */
  revoke(id: string, revocation: { reason: string; by: RevokedBy }): Promise<KeyRecord | null>;
  /**
   * Whether the key with this sha256 still authenticates, decided by the gateway's own check and
   * spending none of the key's usage or rate limit: the proof that a revocation took.
   */
  authenticatesByHash(sha256: string): Promise<boolean>;
  getOwner(id: string): Promise<(Owner & { webhookSecret: string | null }) | null>;
  usageSince(id: string, since: Date): Promise<UsageBucket[]>;
}
