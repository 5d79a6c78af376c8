import type { ConnectionOptions, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppClient } from '../github/client.js';
import { reportCheckRun } from './check-run.js';
import { CHECK_RUN_QUEUE, type CheckRunJob } from './check-run-queue.js';
import { startWorker, type WorkerTuning } from './start-worker.js';

export interface CheckRunDeps {
  github: AppClient;
  redis: Redis;
  redisPrefix: string;
}

/**
 * The check-run queue's worker. Many at once: each job mostly waits on
 * GitHub's per-installation write pacing, and jobs of different
 * installations do not wait on each other.
 */
export function startCheckRunWorker(connection: ConnectionOptions, redisPrefix: string, deps: CheckRunDeps, log: (message: string) => void, tuning: WorkerTuning = {}): Worker<CheckRunJob, number> {
  return startWorker(
    connection,
    redisPrefix,
    {
      queue: CHECK_RUN_QUEUE,
      concurrency: 32,
      process: (job: CheckRunJob) =>
        reportCheckRun(deps.github.forInstallation(job.installationId), deps.redis, deps.redisPrefix, { owner: job.owner, repo: job.repo, headSha: job.headSha }, job.findings, job.notRead),
      describe: (job) => `check run for ${job.owner}/${job.repo}@${job.headSha.slice(0, 12)} (${job.deliveryId})`,
    },
    log,
    tuning,
  );
}
