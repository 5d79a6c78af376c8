import type { Alert } from '../../core/alert.js';
import { badge, time } from './html.js';

/**
 * The summary row that says whether the revocation was proven: the gateway's own check refusing the key
 * (src/pipeline/revocation-check.ts). Empty for a key that was never revoked.
 */
export function revocationProofRow(alert: Pick<Alert, 'revokedAt' | 'verifiedRevokedAt' | 'revocationVerification'>): string {
  if (!alert.revokedAt) return '';
  const proof = alert.verifiedRevokedAt
    ? `${badge('ok', 'verified')} at ${time(alert.verifiedRevokedAt)}: the API refuses the key`
    : alert.revocationVerification === 'still_authenticates'
      ? `${badge('danger', 'still authenticates')} incident: the API accepted the key after its revocation; checking again`
      : alert.revocationVerification === 'failed'
        ? `${badge('danger', 'verification failed')} the revocation could not be proven`
        : '<span class="muted">verification pending</span>';
  return `<dt>Revocation verified</dt><dd>${proof}</dd>`;
}
