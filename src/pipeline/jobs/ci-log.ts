import { CI_LOG_QUEUE, type CiLogJob } from '../ci-log-job.js';
import type { JobKind } from '../job-kind.js';
import { processCiLog, type CiLogResult } from '../process-ci-log.js';
import { RETRYING_JOB_OPTIONS } from '../queues.js';

/**
 * One job per completed GitHub Actions run (id: the delivery id). Each downloads an archive of up to
 * NEEVSCAN_CI_LOG_MAX_BYTES to a temporary file, so a few at once per process.
 */
export const ciLogJobs: JobKind<CiLogJob, CiLogResult> = {
  queue: CI_LOG_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: () => 2,
  describe: (job) => `logs of run ${job.runId} of ${job.owner}/${job.repo} (${job.deliveryId})`,
  processor: (deps) => {
    const app = deps.app();
    return 'notWorked' in app ? app : (job) => processCiLog(job, app, deps.config.ciLogMaxBytes);
  },
};
