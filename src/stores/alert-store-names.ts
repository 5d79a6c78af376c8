/**
 * Redis key names of the alert store. Everything carries the `{al}` hash tag,
 * so the Lua scripts that touch several keys stay in one Redis Cluster slot
 * (and apart from the key store's `{ks}` slot). Record fields are short, like
 * the key store's; ALERT_FIELDS spells them out.
 */
import { checkId } from './ids.js';

/** Names built from an alert id check it first (InvalidIdError), so no string that is not one reaches Redis as part of a name. */
export function alertStoreNames(prefix: string) {
  const p = `${prefix}{al}:`;
  const a = (id: string) => `${p}a:${checkId('alt', id)}`;
  return {
    base: p,
    /** The alert's record (a hash of ALERT_FIELDS). Also built inside the scripts. */
    alert: a,
    /** Its locations, oldest first, as JSON (capped; see ALERT_LIMITS). */
    locations: (id: string) => `${a(id)}:loc`,
    /** Identities of the locations already counted, so a redelivery adds nothing. */
    locationIds: (id: string) => `${a(id)}:lk`,
    /** Notifications of the alert, one JSON entry per channel and notice, updated in place (src/notify/delivery-state.ts). */
    notifications: (id: string) => `${a(id)}:ntf`,
    /** The notifier's bookkeeping for the alert: notices taken, places covered, in-flight claims, the pending follow-up (src/notify/delivery-state.ts). */
    notifyState: (id: string) => `${a(id)}:nst`,
    /** key id → alert id: one alert per exposed key. */
    byKey: `${p}bykey`,
    /** Every alert, scored by firstSeenAt (ms), for newest-first listing. */
    all: `${p}all`,
    /** Alerts in one state, scored like `all`. Also built inside the scripts. */
    state: (state: string) => `${p}state:${state}`,
    /**
     * Filter indexes, scored like `all`: the alerts of one key owner, one
     * repository, one source, one assignee. Repository and assignee are
     * lower-cased here (never in Lua, whose string.lower is ASCII-only).
     */
    owner: (ownerId: string) => `${p}owner:${ownerId}`,
    repo: (repo: string) => `${p}repo:${repo.toLowerCase()}`,
    source: (source: string) => `${p}source:${source}`,
    assignee: (assignee: string) => `${p}assignee:${assignee.toLowerCase()}`,
    /** The filter indexes an alert is in, so that a change of its score (an earlier firstSeenAt) reaches every one. */
    indexes: (id: string) => `${a(id)}:ix`,
    /** The review audit trail: one JSON entry per action (who, what, when), oldest first (capped; see ALERT_LIMITS). */
    audit: (id: string) => `${a(id)}:audit`,
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
