import type { ConnectionOptions, Worker } from 'bullmq';
import { processRepoScan, type RepoScanResult } from './process-repo-scan.js';
import type { PushDeps } from './process-push.js';
import { REPO_SCAN_QUEUE, type RepoScanJob } from './queues.js';
import { startWorker, type WorkerTuning } from './start-worker.js';

/** Whole-repository scans are long (a tree, or a history): a few at once per process. */
export function startRepoScanWorker(connection: ConnectionOptions, redisPrefix: string, deps: PushDeps, log: (message: string) => void, tuning: WorkerTuning = {}): Worker<RepoScanJob, RepoScanResult> {
  return startWorker(
    connection,
    redisPrefix,
    { queue: REPO_SCAN_QUEUE, concurrency: 4, process: (job: RepoScanJob) => processRepoScan(job, deps), describe: (job) => `${job.kind} scan of ${job.owner}/${job.repo} (${job.deliveryId})` },
    log,
    tuning,
  );
}
