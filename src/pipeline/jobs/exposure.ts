import { reportMetrics } from '../../metrics/report-metrics.js';
import { handleExposure, type ExposureOutcome } from '../handle-exposure.js';
import type { JobKind } from '../job-kind.js';
import { EXPOSURE_QUEUE, RETRYING_JOB_OPTIONS, type ExposureJob } from '../queues.js';

/**
 * Confirm → revoke → alert for each key the receiver or the poller found in
 * text (id: deliveryJobId). handleExposure is idempotent, so a retried job (key
 * store away) revokes and records once; a key store outage waits and completes.
 * Needs no GitHub App, so it is worked even when pushes wait. Each job is a few
 * key store and Redis round trips: 16 at once per process.
 */
export const exposureJobs: JobKind<ExposureJob, { outcome: ExposureOutcome }> = {
  queue: EXPOSURE_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: () => 16,
  describe: (job) =>
    `exposure ${job.deliveryId} (${job.exposure.redacted} in ${job.exposure.location.url ?? job.exposure.location.repo ?? '?'})`,
  processor: (deps) => {
    const exposures = deps.exposures();
    return async (job) => {
      // A public report carries its own policy (REPORT_REVOKE_POLICY).
      const { outcome } = await handleExposure(job.policy ? { ...exposures, policy: job.policy } : exposures, job.exposure);
      if (job.exposure.location.source === 'report') reportMetrics.reports().inc({ outcome });
      return { outcome };
    };
  },
};
