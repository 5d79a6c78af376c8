/**
 * Redis key names of the alert store, sharded for Redis Cluster (docs/SCALING-stores.md). There are ALERT_SHARDS
 * shards, tags `{al:0}` … `{al:15}`; each alert lives wholly in one: its record, places, notifications, notifier
 * bookkeeping, audit trail, and its entries in that shard's indexes (all, per state, per owner, repository, source,
 * assignee, and key id → alert id). So every script touches one slot, and every name it touches is passed in KEYS.
 *
 * - The shard of an alert is named by its id: the first character after `alt_`, as a base62 digit, modulo
 *   ALERT_SHARDS. A new alert's id starts with its shard's digit (`alt_0…` to `alt_F…`, 15 random characters left,
 *   89 bits); an id made before sharding keeps its characters and the migration (migrate-store.ts) puts the alert
 *   in the shard they name.
 * - The shard of a key's alert is chosen from the key id (a sha256 of it): the key → alert entry lives there, so a
 *   new exposure of a key finds its alert in one call, and the new alert's id names the same shard.
 *   An alert made before sharding may live in another shard than its key's entry: recording then takes two calls.
 * - A list reads every shard's index and merges (alert-query.ts, mergeShardPages); counts add up.
 *
 * Record fields are short, like the key store's; ALERT_FIELDS spells them out.
 */
import { createHash } from 'node:crypto';
import { BASE62_ALPHABET } from '../key-format/base62.js';
import { checkId, newId } from './ids.js';

/** Shards of the alert store: part of the storage layout (changing it moves every alert; see migrate-store.ts). */
export const ALERT_SHARDS = 16;

/** The shard an alert id names: its first character after `alt_`, as a base62 digit, modulo ALERT_SHARDS. */
export function alertShardOfId(id: string): number {
  return BASE62_ALPHABET.indexOf(checkId('alt', id)[4]!) % ALERT_SHARDS;
}

/** The shard of the alert of a key: from the sha256 of its id, so legacy and new key ids spread alike. */
export function alertShardOfKey(keyId: string): number {
  return createHash('sha256').update(keyId).digest()[0]! % ALERT_SHARDS;
}

/** A new alert id naming `shard`. */
export function newAlertId(shard: number): string {
  return newId('alt', BASE62_ALPHABET[shard]!);
}

/** Names built from an alert id check it first (InvalidIdError), so no string that is not one reaches Redis as part of a name. */
export function alertStoreNames(prefix: string) {
  const s = (shard: number) => `${prefix}{al:${shard}}:`;
  const a = (id: string) => `${s(alertShardOfId(id))}a:${id}`;
  return {
    prefix,
    /** Every shard, 0 … ALERT_SHARDS - 1. */
    shards: Array.from({ length: ALERT_SHARDS }, (_, shard) => shard),
    /** Where a shard's names start. */
    base: s,
    /** The one-slot layout before sharding (`{al}`), read only by the migration. */
    legacyBase: `${prefix}{al}:`,
    /** The alert's record (a hash of ALERT_FIELDS). */
    alert: a,
    /** Its locations, oldest first, as JSON (capped; see ALERT_LIMITS). */
    locations: (id: string) => `${a(id)}:loc`,
    /** Identities of the locations already counted, so a redelivery adds nothing. */
    locationIds: (id: string) => `${a(id)}:lk`,
    /** Notifications of the alert, one JSON entry per channel and notice, updated in place (src/notify/delivery-state.ts). */
    notifications: (id: string) => `${a(id)}:ntf`,
    /** The notifier's bookkeeping for the alert: notices taken, places covered, in-flight claims, the pending follow-up (src/notify/delivery-state.ts). */
    notifyState: (id: string) => `${a(id)}:nst`,
    /** The filter indexes an alert is in (full names, in its shard), so that a change of its score (an earlier firstSeenAt) reaches every one. */
    indexes: (id: string) => `${a(id)}:ix`,
    /** The review audit trail: one JSON entry per action (who, what, when), oldest first (capped; see ALERT_LIMITS). */
    audit: (id: string) => `${a(id)}:audit`,
    /** key id → alert id, for the keys whose alerts this shard holds (alertShardOfKey): one alert per exposed key. */
    byKey: (shard: number) => `${s(shard)}bykey`,
    /** Every alert of the shard, scored by firstSeenAt (ms), for newest-first listing. */
    all: (shard: number) => `${s(shard)}all`,
    /** The shard's alerts in one state, scored like `all`. */
    state: (shard: number, state: string) => `${s(shard)}state:${state}`,
    /**
     * Filter indexes of a shard, scored like `all`: the alerts of one key owner, one repository, one source, one
     * assignee. Repository and assignee are lower-cased here (never in Lua, whose string.lower is ASCII-only).
     */
    owner: (shard: number, ownerId: string) => `${s(shard)}owner:${ownerId}`,
    repo: (shard: number, repo: string) => `${s(shard)}repo:${repo.toLowerCase()}`,
    source: (shard: number, source: string) => `${s(shard)}source:${source}`,
    assignee: (shard: number, assignee: string) => `${s(shard)}assignee:${assignee.toLowerCase()}`,
  };
}

export type AlertStoreNames = ReturnType<typeof alertStoreNames>;

export const ALERT_LIMITS = {
  /** Locations kept per alert: a key pasted into thousands of forks stays one readable alert. */
  locations: 1_000,
  /** Location identities remembered for de-duplication; beyond it `locationCount` may count a redelivery twice. */
  locationIds: 10_000,
  /** Audit entries kept per alert (the newest): a script resolving and reopening in a loop cannot grow one without bound. */
  audit: 10_000,
} as const;

/** The fields of an alert record hash. Times are ms since the epoch. */
export const ALERT_FIELDS = {
  k: 'keyId',
  o: 'ownerId',
  h: 'keyHint',
  sh: 'secretSha256',
  st: "state: 'open' | 'resolved'",
  rs: 'resolution (absent: null)',
  ks: "keyStatus: 'active' | 'expired' | 'revoked' (only moves forward)",
  ra: 'revokedAt: the first revocation seen',
  lat: 'revokeLatencyMs: revokedAt minus pushedAt (or receivedAt)',
  f: 'firstSeenAt: the earliest location seenAt',
  pa: 'pushedAt: the earliest known',
  ca: 'committedAt: the earliest head commit time known (pushes)',
  rc: 'receivedAt: the earliest',
  n: 'locationCount: distinct locations, including those beyond the cap',
  kn: "keyName: the key's name when the alert was made",
  rsa: 'resolvedAt (absent while open)',
  rsb: 'resolvedBy: the name of the API token that resolved it',
  rsc: 'resolutionComment',
  roa: 'reopenedAt: the last reopen',
  as: 'assignee (absent: nobody)',
  vs: "revocationVerification: 'verified' | 'still_authenticates' | 'failed' (absent: not checked yet)",
  vra: 'verifiedRevokedAt: when the gateway check last refused the revoked key',
  vat: 'when the revocation was last checked',
  asx: "the assignee's index key, to leave it on a change",
} as const;
