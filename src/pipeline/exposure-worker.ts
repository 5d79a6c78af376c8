import { Worker, type ConnectionOptions } from 'bullmq';
import { handleExposure, type ExposureOutcome, type HandleExposureDeps } from './handle-exposure.js';
import { EXPOSURE_QUEUE, queuePrefix, type ExposureJob } from './queues.js';

/** Exposures handled at once by one worker process: each is a few key store and Redis round trips. */
const CONCURRENCY = 16;

/**
 * The exposure queue's worker: confirm → revoke → alert for each key the
 * receiver found in a delivery's text. handleExposure is idempotent, so a
 * retried job (key store away) revokes and records once. Log lines name the
 * delivery and the key's hint, never more.
 */
export function startExposureWorker(
  connection: ConnectionOptions,
  redisPrefix: string,
  deps: HandleExposureDeps,
  log: (message: string) => void,
): Worker<ExposureJob, { outcome: ExposureOutcome }> {
  const worker = new Worker<ExposureJob, { outcome: ExposureOutcome }>(
    EXPOSURE_QUEUE,
    async (job) => {
      const { outcome } = await handleExposure({ keyStore: deps.keyStore, alerts: deps.alerts, policy: deps.policy, notify: deps.notify }, job.data.exposure);
      return { outcome };
    },
    { connection, prefix: queuePrefix(redisPrefix), concurrency: CONCURRENCY },
  );
  worker.on('failed', (job, error) =>
    log(`exposure ${job?.id ?? '?'} (${job?.data.exposure.redacted ?? '?'} in ${job?.data.exposure.location.url ?? '?'}) failed, attempt ${job?.attemptsMade}: ${error.message}`),
  );
  worker.on('error', (error) => log(`exposure worker: ${error.message}`));
  return worker;
}
