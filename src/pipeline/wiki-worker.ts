import type { ConnectionOptions, Worker } from 'bullmq';
import type { PushDeps } from './process-push.js';
import { processWiki, type WikiResult } from './process-wiki.js';
import { startWorker, type WorkerTuning } from './start-worker.js';
import { WIKI_QUEUE, type WikiJob } from './wiki-job.js';

/** Wiki edits: each job runs git (a shallow fetch), so a few at once per process. */
export function startWikiWorker(connection: ConnectionOptions, redisPrefix: string, deps: PushDeps, log: (message: string) => void, tuning: WorkerTuning = {}): Worker<WikiJob, WikiResult> {
  return startWorker(
    connection,
    redisPrefix,
    { queue: WIKI_QUEUE, concurrency: 4, process: (job: WikiJob) => processWiki(job, deps), describe: (job) => `wiki edit of ${job.owner}/${job.repo} (${job.deliveryId})` },
    log,
    tuning,
  );
}
