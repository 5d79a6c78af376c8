import type { AlertStore, Alert } from '../stores/alert-store.js';
import type { KeyRecord, KeyStore } from '../stores/key-store.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { revokeReason } from './revoke-reason.js';
import type { Exposure, RevokePolicy } from '../core/exposure.js';
import { proveRevocationAtOnce, type RevocationCheckJob } from './revocation-check.js';

export type ExposureOutcome = 'unknown' | 'revoked' | 'already-revoked' | 'expired' | 'alert-only';

export interface HandleExposureDeps {
  keyStore: KeyStore;
  alerts: AlertStore;
  policy: RevokePolicy;
  /** The clock, for a key store that does not report when it revoked. */
  now?: () => Date;
  /** Asks for the owner to be told about the alert (the notification queue; one job per alert, however many places). */
  notify?: (alertId: string) => Promise<void>;
  /** Asks for the proof that a revocation took (the verify-revocation queue; one job per alert and revocation). */
  verifyRevocation?: (job: RevocationCheckJob) => Promise<void>;
}

/**
 * The confirm → revoke → alert stage for one exposure. A store outage
 * (StoreUnavailableError) propagates: it is a retry, never "unknown".
 * Safe to run again for the same exposure: the key store's revoke keeps the
 * first revocation and the alert store records each place once, so a
 * redelivery revokes nothing twice and adds no location.
 */
export async function handleExposure(deps: HandleExposureDeps, exposure: Exposure): Promise<{ outcome: ExposureOutcome; alert?: Alert }> {
  const found = await deps.keyStore.findByHash(exposure.secretSha256);
  const source = exposure.location.source;
  if (!found) {
    pipelineMetrics.findings().inc({ source, outcome: 'unknown' });
    return { outcome: 'unknown' };
  }

  let key: KeyRecord = found;
  let outcome: ExposureOutcome;
  if (found.status === 'revoked') outcome = 'already-revoked';
  else if (found.status === 'expired') outcome = 'expired';
  // A canary found in the wild is what it was planted for: alerted, never revoked (it guards nothing).
  else if (!found.canary && shouldRevoke(deps.policy, exposure)) {
    const revoked = await deps.keyStore.revoke(found.id, { reason: revokeReason(exposure.location), by: 'leak-detector' });
    // Gone between confirm and revoke (an external store may delete keys): nothing left to protect.
    if (!revoked) {
      pipelineMetrics.findings().inc({ source, outcome: 'unknown' });
      return { outcome: 'unknown' };
    }
    key = revoked;
    outcome = 'revoked';
  } else outcome = 'alert-only';

  const revokedAt = key.status === 'revoked' ? (key.revokedAt ?? (deps.now ?? (() => new Date()))().toISOString()) : null;
  const latencyMs = revokedAt && key.revokedBy === 'leak-detector' ? revokeLatency(exposure, revokedAt) : null;
  const { alert, created, reopened } = await deps.alerts.recordExposure(exposure, {
    id: key.id,
    ownerId: key.ownerId,
    hint: key.hint,
    name: key.name,
    status: key.status,
    revokedAt,
    canary: found.canary ? { label: found.canaryLabel } : null,
    // Latency only measures our own revocations (this one, or one whose alert write failed and is retried now).
    revokeLatencyMs: latencyMs,
  });
  pipelineMetrics.findings().inc({ source, outcome });
  if (outcome === 'revoked') {
    pipelineMetrics.revocations().inc({ source });
    if (latencyMs !== null) pipelineMetrics.pushToRevoke().observe({ source }, latencyMs / 1000);
  }
  if (created) pipelineMetrics.alerts().inc({ event: 'created' });
  if (reopened) pipelineMetrics.alerts().inc({ event: 'reopened' });
  // Our revocation, or a revoked key whose alert was never proven: before the notice, so it can show the proof. Tried
  // here first; only a key that is not refused at once (or no answer) gets the verify-revocation job.
  let told = alert;
  if (revokedAt && deps.verifyRevocation && (outcome === 'revoked' || alert.verifiedRevokedAt === null)) {
    const proven = await proveRevocationAtOnce(deps, alert.id, exposure.secretSha256);
    if (proven) told = proven;
    else
      await deps.verifyRevocation({ alertId: alert.id, keyId: key.id, secretSha256: exposure.secretSha256, keyHint: key.hint, revokedAt });
  }
  // After the alert is written, so a retry after a failed enqueue finds the alert and enqueues again.
  await deps.notify?.(alert.id);
  return { outcome, alert: told };
}

export function shouldRevoke(policy: RevokePolicy, exposure: Exposure): boolean {
  return policy === 'all' || (policy === 'public' && exposure.public);
}

/** Push-to-revoke time: from the push when known, else from when neevscan heard of it. Clock skew never makes it negative. */
function revokeLatency(exposure: Exposure, revokedAt: string): number {
  const start = Date.parse(exposure.pushedAt ?? exposure.receivedAt);
  return Math.max(0, Date.parse(revokedAt) - start);
}
