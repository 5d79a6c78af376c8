import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { PUSH_QUEUE, queuePrefix, type PushJob } from './queues.js';
import { processPush, type PushDeps, type PushResult } from './process-push.js';

/** Pushes processed at once by one worker process: most of a push's time is waiting on GitHub and Redis. */
const CONCURRENCY = 16;

/**
 * The push queue's worker. Failures are retried with backoff (a key store or
 * GitHub outage waits and completes) except those no retry can fix: a
 * repository or installation that no longer exists.
 */
export function startPushWorker(connection: ConnectionOptions, redisPrefix: string, deps: PushDeps, log: (message: string) => void): Worker<PushJob, PushResult> {
  const worker = new Worker<PushJob, PushResult>(
    PUSH_QUEUE,
    async (job) => {
      try {
        return await processPush(job.data, deps);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 410) throw new UnrecoverableError(`push ${job.data.deliveryId}: ${(error as Error).message}`);
        throw error;
      }
    },
    { connection, prefix: queuePrefix(redisPrefix), concurrency: CONCURRENCY },
  );
  worker.on('failed', (job, error) => log(`push ${job?.data.deliveryId ?? '?'} (${job?.data.owner}/${job?.data.repo}) failed, attempt ${job?.attemptsMade}: ${error.message}`));
  worker.on('error', (error) => log(`push worker: ${error.message}`));
  return worker;
}
