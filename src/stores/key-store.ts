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
  /** The key made to replace this one after it was revoked (POST /api/v1/keys/{id}/replace), if any. */
  replacedBy: string | null;
  /** The revoked key this one replaced, if any. */
  replaces: string | null;
  /** A canary (honeytoken): never used for real, so any use or sighting is an intrusion. Shown to the owner and admins only. */
  canary: boolean;
  /** Where the canary was planted, in the owner's words. */
  canaryLabel: string | null;
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

/** One caller attribute (an address, a user agent, an endpoint) and its requests. */
export interface CallerCount {
  value: string;
  requests: number;
}

/** A caller attribute first seen on the key after the exposure: the likely intruder. */
export interface NewCaller extends CallerCount {
  /** When it was first seen on the key (ms precision within the hour it was counted in). */
  firstSeenAt: string;
}

/**
 * Who used a key between its exposure and its revocation (or now), from the
 * per-hour caller summaries the gateway's authenticate calls leave behind
 * (docs/key-store.md, "Caller evidence"). Counts are by the hour: the hour of
 * the exposure counts whole.
 */
export interface CallerEvidence {
  since: string;
  until: string;
  /** How far before the exposure "seen before" looks. */
  lookBackDays: number;
  /** Distinct client addresses in the window (HyperLogLog: within about 1%). */
  distinctAddresses: number;
  addresses: CallerCount[];
  userAgents: CallerCount[];
  endpoints: CallerCount[];
  /** Requests whose address, user agent or endpoint fell outside the kept top entries of their hour. */
  others: { addresses: number; userAgents: number; endpoints: number };
  /** Addresses and user agents never seen on the key in the look-back window before the exposure. */
  newAddresses: NewCaller[];
  newUserAgents: NewCaller[];
  /** The first use by a new address or user agent, and how long after the exposure it came. */
  firstNewUseAt: string | null;
  firstNewUseDelayMs: number | null;
}

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
  /** Who used the key from `since` to `until`, with the callers new since then; absent on a store that keeps no caller summaries. */
  callerEvidence?(id: string, since: Date, until: Date): Promise<CallerEvidence | null>;
}
