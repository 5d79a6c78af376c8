/**
 * Redis key names of the key store. Everything carries the `{ks}` hash tag, so
 * the Lua scripts that touch several keys stay in one Redis Cluster slot.
 * Record fields are one or two letters to keep each stored key small
 * (docs/PERFORMANCE.md: bytes per key); FIELDS spells them out.
 */
import { checkId } from './ids.js';

/**
 * Every name built from an id checks it first (InvalidIdError): an id is pasted
 * into the name, so `own_…:keys` as an owner id would name that owner's key set.
 */
export function keyStoreNames(prefix: string) {
  const p = `${prefix}{ks}:`;
  return {
    base: p,
    key: (id: string) => `${p}key:${checkId('key', id)}`,
    /** sha256 → key id, in 4,096 buckets so each stays a compact listpack (about 25 keys per bucket at 100,000 keys). */
    index: (sha256Hex: string) => `${p}ix:${sha256Hex.slice(0, 3)}`,
    owner: (id: string) => `${p}own:${checkId('own', id)}`,
    owners: `${p}owners`,
    ownerKeys: (id: string) => `${p}own:${checkId('own', id)}:keys`,
    ownerNames: (id: string) => `${p}own:${checkId('own', id)}:names`,
    /** The GCRA rate-limit timestamp (also built inside the authenticate script). */
    rate: (id: string) => `${p}rl:${checkId('key', id)}`,
    /**
     * The caller summaries of one key for one hour (hour = ms since the epoch / 3,600,000): top addresses, user
     * agents and endpoints (sorted sets), first-seen times, a HyperLogLog of addresses, and the "others" counts.
     */
    callers: (id: string, hour: number) => {
      const h = `${p}cl:${checkId('key', id)}:${hour}`;
      return { addresses: `${h}:a`, userAgents: `${h}:u`, endpoints: `${h}:e`, firstSeen: `${h}:f`, distinct: `${h}:d`, others: `${h}:o` };
    },
    tokens: `${p}tok`,
    tokenById: `${p}tokid`,
  };
}

export type KeyStoreNames = ReturnType<typeof keyStoreNames>;

/** The fields of a key record hash. */
export const FIELDS = {
  o: 'ownerId',
  n: 'name',
  h: 'last four characters of the key, for the hint',
  s: "status: 'a' active, 'r' revoked (expiry is computed from e)",
  c: 'createdAt, ms',
  u: 'lastUsedAt, ms',
  ra: 'revokedAt, ms',
  rr: 'revokedReason',
  rb: 'revokedBy',
  e: 'expiresAt, ms',
  rt: 'rotatedTo: the id of the key that replaced this one',
  rl: 'rate limit: requests per window (absent: the default)',
  rw: 'rate limit: window, seconds',
  rp: 'replacedBy: the id of the key made to replace this revoked one',
  rf: 'replaces: the id of the revoked key this one replaced',
  cy: "canary: '1' for a honeytoken",
  cl: 'canary label: where it was planted',
} as const;
