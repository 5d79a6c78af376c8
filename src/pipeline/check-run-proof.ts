import type { Alert } from '../core/alert.js';
import type { AlertStore } from '../stores/alert-store.js';
import { formatTime } from '../util/text.js';
import type { CheckRunFinding } from './check-run.js';

/**
 * A check run is reported once, right after the push's revocations, and each revocation's proof (the
 * verify-revocation job) is usually in by then: it is one key store call, queued before the check run. So the
 * check run job reads each revoked key's alert and says "revoked at …, verified at …"; a proof still pending
 * makes the job wait a little (PROOF_WAIT_MS from when it was queued), after which it says "verification
 * pending" and the alert (API, dashboard) carries the outcome. The check run is not updated afterwards.
 */
export const PROOF_WAIT_MS = 10_000;

export async function withRevocationProof(
  findings: readonly CheckRunFinding[],
  alerts: Pick<AlertStore, 'get'>,
): Promise<{ findings: CheckRunFinding[]; pending: boolean }> {
  const ids = [...new Set(findings.flatMap((f) => (f.alertId ? [f.alertId] : [])))];
  const read = await Promise.all(ids.map((id) => alerts.get(id)));
  const byId = new Map(read.flatMap((alert) => (alert ? [[alert.id, alert] as const] : [])));
  let pending = false;
  const told = findings.map((finding) => {
    const alert = finding.alertId ? byId.get(finding.alertId) : undefined;
    if (!alert?.revokedAt) return finding;
    if (!alert.verifiedRevokedAt && alert.revocationVerification === null) pending = true;
    return { ...finding, outcome: `${finding.outcome} (${proofText(alert)})` };
  });
  return { findings: told, pending };
}

function proofText(alert: Alert): string {
  const revoked = `revoked at ${formatTime(alert.revokedAt)}`;
  if (alert.verifiedRevokedAt) return `${revoked}, verified at ${formatTime(alert.verifiedRevokedAt)}: the API refuses it`;
  if (alert.revocationVerification === null) return `${revoked}; verification pending`;
  return `${revoked}, but the API still accepted it afterwards: the security team was alerted`;
}
