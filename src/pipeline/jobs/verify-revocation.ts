import type { JobKind } from '../job-kind.js';
import {
  checkRevocation,
  revocationCheckJobOptions,
  VERIFY_REVOCATION_QUEUE,
  type RevocationCheckJob,
  type RevocationCheckOutcome,
} from '../revocation-check.js';

/**
 * One job per revocation neevscan made (id: alert id and revokedAt), queued by handleExposure: checks through the
 * gateway's own authenticate (probe mode) that the key no longer authenticates, and retries while it does
 * (NEEVSCAN_REVOCATION_CHECK_ATTEMPTS). Each is one key store round trip: 16 at once per process.
 */
export const verifyRevocationJobs: JobKind<RevocationCheckJob, RevocationCheckOutcome> = {
  queue: VERIFY_REVOCATION_QUEUE,
  jobOptions: (settings) => revocationCheckJobOptions(settings?.revocationCheck),
  concurrency: () => 16,
  describe: (job) => `revocation check of ${job.keyHint} (alert ${job.alertId})`,
  processor: (deps) => {
    const { keyStore, alerts } = deps.exposures();
    const notifier = deps.notifier();
    // attemptsMade counts the tries that failed before this one.
    return (data, job) => checkRevocation({ keyStore, alerts, notifier }, data, job.attemptsMade + 1, job.opts.attempts ?? 1);
  },
};
