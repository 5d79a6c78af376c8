import type { ConnectionOptions, Worker } from 'bullmq';
import { PUSH_QUEUE, type PushJob } from './queues.js';
import { processPush, type PushDeps, type PushResult } from './process-push.js';
import { startWorker, type WorkerTuning } from './start-worker.js';

/** The push queue's worker. */
export function startPushWorker(connection: ConnectionOptions, redisPrefix: string, deps: PushDeps, log: (message: string) => void, concurrency = 32, tuning: WorkerTuning = {}): Worker<PushJob, PushResult> {
  return startWorker(
    connection,
    redisPrefix,
    { queue: PUSH_QUEUE, concurrency, process: (job: PushJob) => processPush(job, deps), describe: (job) => `push ${job.deliveryId} (${job.owner}/${job.repo})` },
    log,
    tuning,
  );
}
