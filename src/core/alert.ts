/**
 * An alert as the service keeps it, the API shows it and notifications read
 * it: one per exposed key, with every place it was seen. Part of the API's
 * documented shape (docs/api.md, "Alerts"). This module imports only core.
 */
import type { Location } from './exposure.js';
import type { KeyStatus } from './key-status.js';

export type AlertState = 'open' | 'resolved';
export type AlertResolution = 'revoked' | 'false_positive' | 'used_in_tests' | 'wont_fix';
/** GitHub's names for a secret scanning alert's resolution. */
export const RESOLUTIONS: readonly AlertResolution[] = ['revoked', 'false_positive', 'used_in_tests', 'wont_fix'];

/**
 * One notification channel of one notice (docs/api.md, "Alerts"), written by the
 * notifier (src/notify/delivery-state.ts) and updated in place as it is tried.
 * `email` and `webhook` go to the key's owner; `security-email` and `slack`
 * to the security team, on the first notice only; `incident-email` and `incident-slack` to the security team
 * when a revoked key still authenticates (notice 1: once per alert).
 */
export interface AlertNotification {
  channel: 'email' | 'webhook' | 'security-email' | 'slack' | 'incident-email' | 'incident-slack';
  /** `sending` (an attempt in flight), `sent`, `retrying`, `failed` (given up), `skipped` (nowhere to send it). */
  status: 'sending' | 'sent' | 'retrying' | 'failed' | 'skipped';
  /** Tries of this channel for this notice. */
  attempts: number;
  /** When the status was last set: for `sent`, when it was delivered. */
  at: string;
  /** 1 for the first notice of the alert, 2… for follow-ups listing places found later. */
  notice: number;
  /** The last failure's class (`http_500`, `timeout`, `refused_address`, `smtp_550`…): never a message, a URL or an address. */
  error?: string;
}

/**
 * The proof of a revocation: `verified` (the gateway's check refuses the key), `still_authenticates` (it still
 * accepts it after the revocation: an incident, checked again), `failed` (no proof after the last try).
 */
export type RevocationVerification = 'verified' | 'still_authenticates' | 'failed';

export interface TimelineEntry {
  /** `notified`: the owner's first notice delivered (email or webhook); `resolved`, `reopened`: the latest of each. */
  event: 'committed' | 'pushed' | 'received' | 'revoked' | 'verified_revoked' | 'notified' | 'resolved' | 'reopened';
  at: string;
}

/** Who did something to an alert: the API token (its id and name), or `neevscan` itself. */
export interface Actor {
  id: string;
  name: string;
}

export const SYSTEM_ACTOR: Actor = { id: 'neevscan', name: 'neevscan' };

/** One line of an alert's audit trail. Carries no key: names, choices and the reviewer's own comment. */
export interface AuditEntry {
  at: string;
  actor: Actor;
  action: 'resolved' | 'reopened' | 'assigned' | 'unassigned' | 'commented' | 'key_revoked';
  resolution?: AlertResolution;
  comment?: string;
  assignee?: string;
  /** Why neevscan acted: `new_location` (a still-active key turned up in a new place). */
  reason?: string;
  location?: { source: Location['source']; repo: string | null };
}

/** An alert: one per exposed key, with every place it was seen (docs/api.md, "Alerts"). Holds no key, only its sha256 and hint. */
export interface Alert {
  id: string;
  state: AlertState;
  resolution: AlertResolution | null;
  keyId: string;
  ownerId: string;
  keyHint: string;
  /** The key's name when the alert was made (null for alerts made before names were kept). */
  keyName: string | null;
  secretSha256: string;
  keyStatus: KeyStatus;
  revokedAt: string | null;
  /** When the gateway's own check was seen refusing the revoked key; null until then. */
  verifiedRevokedAt: string | null;
  /** Where proving the revocation stands; null while not checked yet (or the key is not revoked). */
  revocationVerification: RevocationVerification | null;
  /** Who works on it: a name or an address, as the team writes it. */
  assignee: string | null;
  resolvedAt: string | null;
  /** The name of the API token that resolved it. */
  resolvedBy: string | null;
  resolutionComment: string | null;
  firstSeenAt: string;
  pushedAt: string | null;
  /** Pushes: when the earliest head commit seen was made, by its committer's clock (shown apart; never timed from). */
  committedAt: string | null;
  receivedAt: string;
  revokeLatencyMs: number | null;
  /** The key is a canary (honeytoken): any use or sighting is an intrusion; it is never revoked automatically. */
  canary: boolean;
  /** Where the canary was planted, in the owner's words. */
  canaryLabel: string | null;
  /** The key made to replace the exposed one (POST /api/v1/keys/{id}/replace), once there is one. */
  replacedBy: string | null;
  /** The first ALERT_LIMITS.locations places, in the order they were recorded. */
  locations: Location[];
  /** Distinct places seen, including those beyond the cap. */
  locationCount: number;
  notifications: AlertNotification[];
  /** Pushed, received, revoked: oldest first, only those known. */
  timeline: TimelineEntry[];
}
