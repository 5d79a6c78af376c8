import { reportCheckRun } from '../check-run.js';
import { CHECK_RUN_QUEUE, type CheckRunJob } from '../check-run-queue.js';
import type { JobKind } from '../job-kind.js';
import { RETRYING_JOB_OPTIONS } from '../queues.js';

/**
 * A push's check run, reported after its keys are revoked (id: the delivery
 * id). Many at once: each job mostly waits on GitHub's per-installation write
 * pacing, and jobs of different installations do not wait on each other.
 */
export const checkRunJobs: JobKind<CheckRunJob, number> = {
  queue: CHECK_RUN_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: () => 32,
  describe: (job) => `check run for ${job.owner}/${job.repo}@${job.headSha.slice(0, 12)} (${job.deliveryId})`,
  processor: (deps) => {
    const app = deps.app();
    if ('notWorked' in app) return app;
    return (job) =>
      reportCheckRun(app.github.forInstallation(job.installationId), app.redis, app.redisPrefix, { owner: job.owner, repo: job.repo, headSha: job.headSha }, job.findings, job.notRead);
  },
};
