import type { JobKind } from '../job-kind.js';
import { processRepoScan, type RepoScanResult } from '../process-repo-scan.js';
import { REPO_SCAN_QUEUE, RETRYING_JOB_OPTIONS, type RepoScanJob } from '../queues.js';

/**
 * Whole-repository scans of an installation's repositories (id: deliveryJobId). Long (a tree, or a history): a few at
 * once per process.
 */
export const repoScanJobs: JobKind<RepoScanJob, RepoScanResult> = {
  queue: REPO_SCAN_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: () => 4,
  describe: (job) => `${job.kind} scan of ${job.owner}/${job.repo} (${job.deliveryId})`,
  processor: (deps) => {
    const app = deps.app();
    return 'notWorked' in app ? app : (job) => processRepoScan(job, app);
  },
};
