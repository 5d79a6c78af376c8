import { DelayedError } from 'bullmq';
import { reportCheckRun } from '../check-run.js';
import { PROOF_WAIT_MS, withRevocationProof } from '../check-run-proof.js';
import { CHECK_RUN_QUEUE, type CheckRunJob } from '../check-run-queue.js';
import type { JobKind } from '../job-kind.js';
import { RETRYING_JOB_OPTIONS } from '../queues.js';

/** How often a check run waiting on a revocation's proof looks again. */
const PROOF_POLL_MS = 500;

/**
 * A push's check run, reported after its keys are revoked (id: the delivery
 * id). Many at once: each job mostly waits on GitHub's per-installation write
 * pacing, and jobs of different installations do not wait on each other.
 * It shows each revocation's proof, waiting up to PROOF_WAIT_MS for one still
 * pending (check-run-proof.ts), spending no attempt.
 */
export const checkRunJobs: JobKind<CheckRunJob, number> = {
  queue: CHECK_RUN_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: () => 32,
  describe: (job) => `check run for ${job.owner}/${job.repo}@${job.headSha.slice(0, 12)} (${job.deliveryId})`,
  processor: (deps) => {
    const app = deps.app();
    if ('notWorked' in app) return app;
    return async (data, job, token) => {
      const { findings, pending } = await withRevocationProof(data.findings, app.alerts);
      if (pending && token && Date.now() - job.timestamp < PROOF_WAIT_MS) {
        await job.moveToDelayed(Date.now() + PROOF_POLL_MS, token);
        throw new DelayedError();
      }
      const target = { owner: data.owner, repo: data.repo, headSha: data.headSha };
      return reportCheckRun(app.github.forInstallation(data.installationId), app.redis, app.redisPrefix, target, findings, data.notRead);
    };
  },
};
