/**
 * Redis key names of the key store, sharded for Redis Cluster (docs/SCALING-stores.md):
 *
 * - Everything of one key (record, rate-limit timestamp, usage buckets, caller summaries) carries the key's **shard
 *   tag** `{k:XY}`, two base62 characters derived from the sha256 of the key (3,844 tags), and is named by that sha256
 *   (base64url), so the gateway's authenticate is one script on one slot with every name passed in KEYS.
 * - New key ids carry the same two characters (`key_XY…`); each tag holds an id → digest map (`{k:XY}:ids`), so a
 *   by-id operation finds the key in the shard its id names. Keys made before sharding keep their ids: the migration
 *   (migrate-store.ts) puts their entry in the map of the tag their id happens to start with.
 * - An owner's record, key listing and name index carry the owner's tag `{o:<ownerId>}`.
 * - The owner listing and API tokens, small and global, stay under `{ks}`.
 *
 * Record fields are one or two letters to keep each stored key small (docs/PERFORMANCE.md: bytes per key); FIELDS
 * spells them out.
 */
import { BASE62_ALPHABET } from '../key-format/base62.js';
import { checkId } from './ids.js';

/** Shard tags of the key store: two base62 characters. */
export const KEY_SHARDS = 62 * 62;

/** The shard tag of a key, from the sha256 of its secret (the first 16 bits, folded into 3,844 tags). */
export function shardOfDigest(digest: Buffer): string {
  const n = digest.readUInt16BE(0) % KEY_SHARDS;
  return BASE62_ALPHABET[Math.floor(n / 62)]! + BASE62_ALPHABET[n % 62]!;
}

/** The shard tag a key id names: its two characters after `key_` (for keys made before sharding, only where its id map entry is). */
export function shardOfId(id: string): string {
  return checkId('key', id).slice(4, 6);
}

/** Where one key lives: its shard tag and the sha256 of its secret in base64url (43 characters; names stay short, never hex). */
export interface KeyRef {
  shard: string;
  digest: string;
}

/**
 * Every name built from an id checks it first (InvalidIdError): an id is pasted into the name, so `own_…:keys` as an
 * owner id would name that owner's key set.
 */
export function keyStoreNames(prefix: string) {
  const g = `${prefix}{ks}:`;
  const k = (ref: KeyRef) => `${prefix}{k:${ref.shard}}:`;
  const o = (id: string) => `${prefix}{o:${checkId('own', id)}}:`;
  return {
    prefix,
    /** The global names (owner listing, tokens), and the layout before sharding (migrate-store.ts). */
    base: g,
    ref: (digest: Buffer): KeyRef => ({ shard: shardOfDigest(digest), digest: digest.toString('base64url') }),
    /** A key's record (FIELDS), named by its sha256: found by authenticate and findByHash without an index. */
    key: (ref: KeyRef) => `${k(ref)}r:${ref.digest}`,
    /** key id → sha256 (base64url), for the keys whose id names this shard. */
    ids: (shard: string) => `${prefix}{k:${shard}}:ids`,
    /** The GCRA rate-limit timestamp. */
    rate: (ref: KeyRef) => `${k(ref)}rl:${ref.digest}`,
    /** Requests and tokens per hour of one day (day = ms since the epoch / 86,400,000). */
    usage: (ref: KeyRef, day: number) => `${k(ref)}u:${ref.digest}:${day}`,
    /**
     * The caller summaries of one key for one hour (hour = ms since the epoch / 3,600,000): top addresses, user
     * agents and endpoints (sorted sets), first-seen times, a HyperLogLog of addresses, and the "others" counts.
     */
    callers: (ref: KeyRef, hour: number) => {
      const h = `${k(ref)}cl:${ref.digest}:${hour}`;
      return { addresses: `${h}:a`, userAgents: `${h}:u`, endpoints: `${h}:e`, firstSeen: `${h}:f`, distinct: `${h}:d`, others: `${h}:o` };
    },
    owner: (id: string) => `${o(id)}own`,
    ownerKeys: (id: string) => `${o(id)}keys`,
    ownerNames: (id: string) => `${o(id)}names`,
    owners: `${g}owners`,
    tokens: `${g}tok`,
    tokenById: `${g}tokid`,
  };
}

export type KeyStoreNames = ReturnType<typeof keyStoreNames>;

/** The fields of a key record hash. */
export const FIELDS = {
  i: 'the key id',
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
