import type { ConnectionOptions, Worker } from 'bullmq';
import { reportMetrics } from '../metrics/report-metrics.js';
import { handleExposure, type ExposureOutcome, type HandleExposureDeps } from './handle-exposure.js';
import { EXPOSURE_QUEUE, type ExposureJob } from './queues.js';
import { startWorker, type WorkerTuning } from './start-worker.js';

/**
 * The exposure queue's worker: confirm → revoke → alert for each key the
 * receiver found in a delivery's text. handleExposure is idempotent, so a
 * retried job (key store away) revokes and records once. Log lines name the
 * delivery and the key's hint, never more. Each job is a few key store and
 * Redis round trips: 16 at once per process.
 */
export function startExposureWorker(
  connection: ConnectionOptions,
  redisPrefix: string,
  deps: HandleExposureDeps,
  log: (message: string) => void,
  tuning: WorkerTuning = {},
): Worker<ExposureJob, { outcome: ExposureOutcome }> {
  return startWorker(
    connection,
    redisPrefix,
    {
      queue: EXPOSURE_QUEUE,
      concurrency: 16,
      process: async (job: ExposureJob) => {
        const { outcome } = await handleExposure(job.policy ? { ...deps, policy: job.policy } : deps, job.exposure);
        if (job.exposure.location.source === 'report') reportMetrics.reports().inc({ outcome });
        return { outcome };
      },
      describe: (job) => `exposure ${job.deliveryId} (${job.exposure.redacted} in ${job.exposure.location.url ?? job.exposure.location.repo ?? '?'})`,
    },
    log,
    tuning,
  );
}
