import type { JobsOptions } from 'bullmq';
import { VERIFY_REVOCATION_QUEUE } from '../core/queue-names.js';
import type { Enqueue } from '../core/queued-job.js';
import { KeyStoreUnavailableError } from '../core/errors.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { sendRevocationIncident } from '../notify/revocation-incident.js';
import type { NotifierDeps } from '../notify/notifier.js';
import type { Alert, AlertStore } from '../stores/alert-store.js';
import type { KeyStore } from '../stores/key-store.js';

/**
 * Proof of a revocation: after neevscan revokes a key, the gateway's own check (the key store's authenticate, by
 * the key's sha256, in its probe mode: KeyStore.authenticatesByHash) must refuse it. Refused: the alert records
 * verifiedRevokedAt. Still accepted: an incident (the security team is told, once per alert), the key is revoked
 * again and the check retried with backoff; after the last try the alert says `failed` and the incident stands.
 */
export { VERIFY_REVOCATION_QUEUE };

/** Names, the hash and the hint only, like every job. */
export interface RevocationCheckJob {
  alertId: string;
  keyId: string;
  secretSha256: string;
  keyHint: string;
  /** The revocation to prove (the key store's revokedAt): with the alert id, the job's id. */
  revokedAt: string;
}

export type RevocationCheckOutcome = { outcome: 'verified' | 'no-alert' };

/** One check per revocation: a redelivered exposure, or one found again, adds nothing while the job is kept. */
export function revocationCheckJobId(alertId: string, revokedAt: string): string {
  return `${alertId}.${Date.parse(revokedAt)}`;
}

export function enqueueRevocationCheck(enqueue: Enqueue): (job: RevocationCheckJob) => Promise<void> {
  return (job) => enqueue([{ queue: VERIFY_REVOCATION_QUEUE, data: job, jobId: revocationCheckJobId(job.alertId, job.revokedAt) }]);
}

export const DEFAULT_REVOCATION_CHECK = { attempts: 8, backoffMs: 2000 };

/** Exponential backoff with jitter: with the defaults 2 s, 4 s, 8 s… over about four minutes. Kept a week (a month when failed). */
export function revocationCheckJobOptions(settings: { attempts: number; backoffMs: number } = DEFAULT_REVOCATION_CHECK): JobsOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

export class RevocationNotProvenError extends Error {
  constructor(alertId: string, attempt: number, attempts: number) {
    super(`alert ${alertId}: the revoked key still authenticates (check ${attempt} of ${attempts}); revoked again, will check again`);
    this.name = 'RevocationNotProvenError';
  }
}

export interface RevocationCheckDeps {
  keyStore: KeyStore;
  alerts: AlertStore;
  notifier: NotifierDeps;
  now?: () => Date;
}

/**
 * The proof's first try, made where the key was revoked (handleExposure), before any job is queued: the gateway's check
 * almost always refuses the key at once, and then the alert records verifiedRevokedAt with no job at all (one job fewer
 * per revocation, and the check run queued after it finds the proof in). The verified alert, or null when the key still
 * authenticates or the key store did not answer: then the verify-revocation job is queued as before, and it decides
 * (incident, revoking again, retries); this try counts nothing and tells no one.
 */
export async function proveRevocationAtOnce(
  deps: Pick<RevocationCheckDeps, 'keyStore' | 'alerts' | 'now'>,
  alertId: string,
  secretSha256: string,
): Promise<Alert | null> {
  const refused = await deps.keyStore.authenticatesByHash(secretSha256).then(
    (authenticates) => !authenticates,
    () => false,
  );
  if (!refused) return null;
  const alert = await deps.alerts.markVerification(alertId, 'verified', (deps.now ?? (() => new Date()))());
  if (alert) pipelineMetrics.revocationsVerified().inc({ outcome: 'verified' });
  return alert;
}

/** One check: `attempt` counts from 1; the last of `attempts` settles the outcome for good. */
export async function checkRevocation(
  deps: RevocationCheckDeps,
  job: RevocationCheckJob,
  attempt: number,
  attempts: number,
): Promise<RevocationCheckOutcome> {
  const now = deps.now ?? (() => new Date());
  const last = attempt >= attempts;
  let authenticates: boolean;
  try {
    authenticates = await deps.keyStore.authenticatesByHash(job.secretSha256);
  } catch (error) {
    // No answer is no proof: on the last try the alert says so; before it, the queue retries.
    if (last && error instanceof KeyStoreUnavailableError) {
      await deps.alerts.markVerification(job.alertId, 'failed', now());
      pipelineMetrics.revocationsVerified().inc({ outcome: 'failed' });
    }
    throw error;
  }
  const checkedAt = now();
  if (!authenticates) {
    const alert = await deps.alerts.markVerification(job.alertId, 'verified', checkedAt);
    pipelineMetrics.revocationsVerified().inc({ outcome: 'verified' });
    return { outcome: alert ? 'verified' : 'no-alert' };
  }

  const alert = await deps.alerts.markVerification(job.alertId, last ? 'failed' : 'still_authenticates', checkedAt);
  pipelineMetrics.revocationsVerified().inc({ outcome: last ? 'failed' : 'still_authenticates' });
  if (!alert) return { outcome: 'no-alert' };
  const owner = await deps.keyStore.getOwner(alert.ownerId).catch(() => null);
  const incident = {
    alert,
    ownerName: owner?.name ?? null,
    revokedAt: job.revokedAt,
    checkedAt: checkedAt.toISOString(),
    attempt,
    attempts,
  };
  await sendRevocationIncident(deps.notifier, incident, last);
  // The revocation did not hold: make it again (the store keeps the first one if it does see the key revoked).
  if (!last)
    await deps.keyStore.revoke(job.keyId, {
      reason: 'revoked again: the key still authenticated after its revocation',
      by: 'leak-detector',
    });
  throw new RevocationNotProvenError(job.alertId, attempt, attempts);
}
