import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { queuePrefix } from './queues.js';

export interface WorkerSpec<T, R> {
  queue: string;
  /** Jobs processed at once by one process: most of a job's time is waiting on GitHub and Redis. */
  concurrency: number;
  /** `job` and `token` are for a processor that reschedules its own job (job.moveToDelayed(…, token) then DelayedError). */
  process: (data: T, job: Job<T, R>, token: string | undefined) => Promise<R>;
  /** How a job is named in log lines: names and places only, never a key. */
  describe: (data: T) => string;
}

/**
 * A queue worker with the pipeline's one error policy: everything is retried
 * with backoff (a key store or GitHub outage waits and completes) except what
 * no retry can fix, a repository or installation that no longer exists.
 */
export function startWorker<T, R>(connection: ConnectionOptions, redisPrefix: string, spec: WorkerSpec<T, R>, log: (message: string) => void): Worker<T, R> {
  const worker = new Worker<T, R>(
    spec.queue,
    async (job, token) => {
      try {
        return await spec.process(job.data, job, token);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 410) throw new UnrecoverableError(`${spec.describe(job.data)}: ${(error as Error).message}`);
        throw error;
      }
    },
    { connection, prefix: queuePrefix(redisPrefix), concurrency: spec.concurrency },
  );
  worker.on('failed', (job, error) => {
    log(`${job ? spec.describe(job.data) : spec.queue} failed, attempt ${job?.attemptsMade ?? '?'}: ${error.message}`);
    const gaveUp = !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    pipelineMetrics.queueFailures().inc({ queue: spec.queue, outcome: gaveUp ? 'gave_up' : 'retry' });
  });
  worker.on('error', (error) => log(`${spec.queue} worker: ${error.message}`));
  return worker;
}
