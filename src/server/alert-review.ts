import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { describePlace } from '../notify/notice.js';
import type { Location } from '../core/exposure.js';
import {
  AlertConflictError,
  type Actor,
  type Alert,
  type AlertResolution,
  type AlertStore,
  type AuditEntry,
} from '../stores/alert-store.js';
import { StoreUnavailableError } from '../core/errors.js';
import { type CallerEvidence, type KeyRecord, type KeyStore, type UsageBucket } from '../stores/key-store.js';
import { ApiError } from './errors.js';

/** The key as the security team sees it: never the key itself, only its hint. */
export interface ReviewedKey {
  id: string;
  name: string;
  hint: string;
  status: KeyRecord['status'];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: KeyRecord['revokedBy'];
  revokedReason: string | null;
  expiresAt: string | null;
  canary: boolean;
  canaryLabel: string | null;
  replacedBy: string | null;
  replaces: string | null;
}

export interface UsageSinceExposure {
  /** The start of the window: the earliest of pushedAt, firstSeenAt and receivedAt. Buckets are whole hours, so the first may hold use from just before. */
  since: string;
  buckets: UsageBucket[];
  requests: number;
  tokens: number;
}

/** GET /api/v1/alerts/{id}: the alert and everything the team needs to judge it. */
export interface AlertDetail extends Omit<Alert, 'locations'> {
  locations: Array<Location & { commitUrl: string | null }>;
  /** Null when the key store has no such key any more, or could not answer (`keyStore: "unavailable"`). */
  key: ReviewedKey | null;
  owner: { id: string; name: string; email: string | null } | null;
  usageSinceExposure: UsageSinceExposure | null;
  /** Who used the key from the exposure to its revocation (or now); null when the key store keeps no caller summaries. */
  callersSinceExposure: CallerEvidence | null;
  audit: AuditEntry[];
  keyStore: 'ok' | 'unavailable';
}

const notFound = (id: string) => new ApiError(404, 'not_found', `no alert ${id}`);

/**
 * The security team's actions on alerts, shared by the API and the dashboard:
 * each checks what it can, records who did it in the audit trail, and is
 * counted. The key store is the pipeline's (this server's Redis store or an
 * external one), so what the team sees is what the gateway enforces.
 */
export class AlertReview {
  constructor(
    readonly alerts: AlertStore,
    readonly keyStore: KeyStore,
  ) {}

  async get(id: string): Promise<Alert> {
    const alert = await this.alerts.get(id);
    if (!alert) throw notFound(id);
    return alert;
  }

  /**
   * The alert with its key, owner, usage since exposure and audit trail. A key
   * store that cannot answer leaves those parts null rather than failing the page.
   * A key revoked since (by its owner, an admin) is recorded on the alert here.
   */
  async detail(id: string): Promise<AlertDetail> {
    let alert = await this.get(id);
    const audit = await this.alerts.audit(id);
    let key: KeyRecord | null = null;
    let owner: AlertDetail['owner'] = null;
    let usage: UsageSinceExposure | null = null;
    let callers: CallerEvidence | null = null;
    let keyStore: AlertDetail['keyStore'] = 'ok';
    try {
      key = await this.findKey(alert);
      const since = exposureStart(alert);
      const [ownerRecord, buckets] = await Promise.all([
        this.keyStore.getOwner(alert.ownerId),
        key ? this.keyStore.usageSince(key.id, since) : Promise.resolve([]),
      ]);
      if (ownerRecord) owner = { id: ownerRecord.id, name: ownerRecord.name, email: ownerRecord.email };
      if (key) usage = summarise(since, buckets);
      const until = key?.revokedAt ? new Date(key.revokedAt) : alert.revokedAt ? new Date(alert.revokedAt) : new Date();
      if (key && this.keyStore.callerEvidence) callers = await this.keyStore.callerEvidence(key.id, since, until);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      keyStore = 'unavailable';
    }
    if (key?.status === 'revoked' && alert.keyStatus !== 'revoked') {
      alert = (await this.alerts.markRevoked(id, key.revokedAt ?? new Date().toISOString(), null)) ?? alert;
    }
    return {
      ...alert,
      locations: alert.locations.map((location) => ({ ...location, commitUrl: describePlace(location).commitUrl })),
      key: key ? reviewedKey(key) : null,
      owner,
      usageSinceExposure: usage,
      callersSinceExposure: callers,
      audit,
      keyStore,
    };
  }

  /**
   * Resolves the alert. `revoked` is refused (409 `key_active`) while the key
   * still works: the team revokes it first, from the alert or the key API.
   */
  async resolve(id: string, input: { resolution: AlertResolution; comment?: string | null }, actor: Actor): Promise<Alert> {
    const alert = await this.get(id);
    if (input.resolution === 'revoked') {
      const key = await this.findKey(alert);
      if (key && key.status === 'active')
        throw new ApiError(409, 'key_active', `the key ${alert.keyHint} still works: revoke it before resolving as revoked`);
    }
    const resolved = await this.conflicts(() => this.alerts.resolve(id, input, actor));
    pipelineMetrics.reviewActions().inc({ action: 'resolved' });
    return resolved ?? this.get(id);
  }

  async reopen(id: string, input: { comment?: string | null }, actor: Actor): Promise<Alert> {
    const reopened = await this.conflicts(() => this.alerts.reopen(id, input, actor));
    if (!reopened) throw notFound(id);
    pipelineMetrics.reviewActions().inc({ action: 'reopened' });
    return reopened;
  }

  async assign(id: string, input: { assignee: string | null; comment?: string | null }, actor: Actor): Promise<Alert> {
    const before = await this.get(id);
    const after = await this.alerts.assign(id, input, actor);
    if (!after) throw notFound(id);
    if (before.assignee !== after.assignee) pipelineMetrics.reviewActions().inc({ action: after.assignee ? 'assigned' : 'unassigned' });
    return after;
  }

  async comment(id: string, comment: string, actor: Actor): Promise<AuditEntry[]> {
    if (!(await this.alerts.appendAudit(id, { actor, action: 'commented', comment: comment.trim() }))) throw notFound(id);
    pipelineMetrics.reviewActions().inc({ action: 'commented' });
    return this.alerts.audit(id);
  }

  /**
   * Revokes the alert's key now (for a key found where the policy only
   * alerts, a private repository), records it on the alert and in its audit
   * trail. 409 when the key is revoked already; 404 when the store no longer has it.
   */
  async revokeKey(id: string, input: { comment?: string | null }, actor: Actor): Promise<Alert> {
    const alert = await this.get(id);
    const key = await this.findKey(alert);
    if (!key) throw new ApiError(404, 'key_not_found', `the key store has no key ${alert.keyHint} any more`);
    if (key.status === 'revoked') throw new ApiError(409, 'already_revoked', `the key ${alert.keyHint} is revoked already`);
    const revoked = await this.keyStore.revoke(key.id, { reason: `revoked from alert ${id} by ${actor.name}`, by: 'admin' });
    if (!revoked) throw new ApiError(404, 'key_not_found', `the key store has no key ${alert.keyHint} any more`);
    await this.alerts.markRevoked(id, revoked.revokedAt ?? new Date().toISOString(), null);
    const comment = input.comment?.trim();
    await this.alerts.appendAudit(id, { actor, action: 'key_revoked', ...(comment ? { comment } : {}) });
    pipelineMetrics.revocations().inc({ source: 'review' });
    pipelineMetrics.reviewActions().inc({ action: 'key_revoked' });
    return this.get(id);
  }

  /** The alert's key by its sha256, which works with any key store; a different id (never expected) counts as gone. */
  private async findKey(alert: Alert): Promise<KeyRecord | null> {
    const key = await this.keyStore.findByHash(alert.secretSha256);
    return key && key.id === alert.keyId ? key : null;
  }

  private async conflicts<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof AlertConflictError) throw new ApiError(409, error.code, error.message);
      throw error;
    }
  }
}

/** When the key was first out in the open, as far as neevscan knows. */
export function exposureStart(alert: Pick<Alert, 'pushedAt' | 'firstSeenAt' | 'receivedAt'>): Date {
  const times = [alert.pushedAt, alert.firstSeenAt, alert.receivedAt].filter((t): t is string => t !== null).map((t) => Date.parse(t));
  return new Date(Math.min(...times));
}

function summarise(since: Date, buckets: UsageBucket[]): UsageSinceExposure {
  let requests = 0;
  let tokens = 0;
  for (const bucket of buckets) {
    requests += bucket.requests;
    tokens += bucket.tokens;
  }
  return { since: since.toISOString(), buckets, requests, tokens };
}

function reviewedKey(key: KeyRecord): ReviewedKey {
  const { id, name, hint, status, createdAt, lastUsedAt, revokedAt, revokedBy, revokedReason, expiresAt } = key;
  // An external key store may not know canaries or replacements: absent reads as none.
  const extra = {
    canary: key.canary ?? false,
    canaryLabel: key.canaryLabel ?? null,
    replacedBy: key.replacedBy ?? null,
    replaces: key.replaces ?? null,
  };
  return { id, name, hint, status, createdAt, lastUsedAt, revokedAt, revokedBy, revokedReason, expiresAt, ...extra };
}
