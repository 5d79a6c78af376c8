import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { gitHubWaitUntil } from '../github/github-wait.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { jobLockTimings } from './job-locks.js';
import { queuePrefix } from '../core/queue-names.js';

/** A BullMQ worker of one queue ("queue worker", to tell it from worker threads and the `neevscan worker` process). */
export interface QueueWorkerSpec<T, R> {
  queue: string;
  /** Jobs processed at once by one process: most of a job's time is waiting on GitHub and Redis. */
  concurrency: number;
  /** `job` and `token` are for a processor that reschedules its own job (job.moveToDelayed(…, token) then DelayedError). */
  process: (data: T, job: Job<T, R>, token: string | undefined) => Promise<R>;
  /** How a job is named in log lines: names and places only, never a key. */
  describe: (data: T) => string;
}

/** Per-process settings every queue worker shares. */
export interface QueueWorkerTuning {
  /**
   * NEEVSCAN_JOB_LOCK_MS: a job's lock lasts this long unless renewed (every quarter of it), and stalled jobs (their
   * worker died) are looked for every third of it, so a dead worker's job runs again within 4/3 of these
   * (src/pipeline/job-locks.ts).
   * @defaultValue 6000 (DEFAULT_JOB_LOCK_MS)
   */
  lockMs?: number;
}

/** How long a worker keeps quiet about an error it just reported (a Redis outage repeats it on every reconnect). */
const REPEATED_ERROR_QUIET_MS = 30_000;

/** A job put off for a rate limit runs again up to this long after the limit's reset, spread so a backlog does not return at one instant. */
const PUT_OFF_SPREAD_MS = 5000;

/**
 * Moves a running job to the delayed set until `until` (epoch ms, plus a random
 * spread), spending no attempt; the processor then throws the DelayedError this
 * returns, which tells BullMQ the job was moved, not failed.
 */
export async function putOff(job: Job, token: string | undefined, until: number): Promise<DelayedError> {
  await job.moveToDelayed(Math.max(until, Date.now()) + Math.floor(Math.random() * PUT_OFF_SPREAD_MS), token);
  return new DelayedError();
}

/**
 * A queue worker with the pipeline's one error policy: everything is retried
 * with backoff (a key store or GitHub outage waits and completes) except what
 * no retry can fix, a repository or installation that no longer exists, and
 * a GitHub rate limit the client would not wait out in the request: the job
 * is put off until the time GitHub gave (spending no attempt), since a retry
 * sooner would be refused again and counted against the App.
 */
export function startQueueWorker<T, R>(
  connection: ConnectionOptions,
  redisPrefix: string,
  spec: QueueWorkerSpec<T, R>,
  log: (message: string) => void,
  tuning: QueueWorkerTuning = {},
): Worker<T, R> {
  const worker = new Worker<T, R>(
    spec.queue,
    async (job, token) => {
      try {
        return await spec.process(job.data, job, token);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 410) throw new UnrecoverableError(`${spec.describe(job.data)}: ${(error as Error).message}`);
        const until = gitHubWaitUntil(error);
        if (until !== null && token) {
          log(`${spec.describe(job.data)}: GitHub rate limit; put off until ${new Date(Math.max(until, Date.now())).toISOString()}`);
          pipelineMetrics.queueDeferred().inc({ queue: spec.queue });
          throw await putOff(job, token, until);
        }
        throw error;
      }
    },
    {
      connection,
      prefix: queuePrefix(redisPrefix, spec.queue),
      concurrency: spec.concurrency,
      ...jobLockTimings(tuning.lockMs),
    },
  );
  // A job whose worker died mid-way (its lock lapsed): BullMQ puts it back in the queue and it runs again (a third
  // stall fails it: MAX_STALLED_COUNT).
  worker.on('stalled', (jobId) => {
    log(`${spec.queue} job ${jobId} stalled (its worker stopped holding it); it runs again`);
    pipelineMetrics.queueStalled().inc({ queue: spec.queue });
  });
  worker.on('failed', (job, error) => {
    log(`${job ? spec.describe(job.data) : spec.queue} failed, attempt ${job?.attemptsMade ?? '?'}: ${error.message}`);
    const gaveUp = !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    pipelineMetrics.queueFailures().inc({ queue: spec.queue, outcome: gaveUp ? 'gave_up' : 'retry' });
  });
  // While Redis is away a worker reports the same connection error on every reconnect; the outage itself is logged by
  // connectRedis (naming REDIS_URL), so a repeat of the same message is held back for a while.
  let lastError = { message: '', at: 0 };
  worker.on('error', (error) => {
    const now = Date.now();
    if (error.message === lastError.message && now - lastError.at < REPEATED_ERROR_QUIET_MS) return;
    lastError = { message: error.message, at: now };
    log(`${spec.queue} worker: ${error.message}`);
  });
  return worker;
}
