import { DelayedError, type ConnectionOptions, type Job, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { declarePublicEventsMetrics } from '../metrics/public-events-metrics.js';
import type { CompiledRule } from '../rules/types.js';
import { processPublicPush, type PublicScanOutcome } from './process-public-push.js';
import { processPublicScan } from './process-public-scan.js';
import { buildPublicEventsDeps, countOutcome } from './public-events-deps.js';
import { PUBLIC_PUSH_QUEUE, PUBLIC_SCAN_QUEUE, type PublicPushJob, type PublicScanJob } from './public-events-queues.js';
import { startWorker } from './start-worker.js';

/** A deferred job runs again this long after the reset, spread so that a backlog does not hit GitHub at one instant. */
const RESET_SPREAD_MS = 5000;

/** Counts a job's outcome; a deferred job is moved to the delayed set until its token's window resets. */
async function settle<T>(job: Job<T, PublicScanOutcome>, token: string | undefined, queue: string, result: PublicScanOutcome): Promise<PublicScanOutcome> {
  countOutcome(queue, result);
  if (result.outcome === 'deferred') {
    await job.moveToDelayed(result.until + Math.floor(Math.random() * RESET_SPREAD_MS), token);
    throw new DelayedError();
  }
  return result;
}

/**
 * The workers for what `neevscan poll` queues: public pushes (many, short: 16
 * at once per process) and repositories made public (long: 2 at once). Started
 * by `serve` and `worker` when GITHUB_TOKEN or GITHUB_TOKENS is set; the
 * exposures the poller finds in text go to the exposure worker, which needs none.
 */
export function startPublicEventsWorkers(
  config: Config,
  redis: Redis,
  rules: readonly CompiledRule[],
  connection: ConnectionOptions,
  notify: ((alertId: string) => Promise<void>) | undefined,
  log: (message: string) => void,
): Worker[] {
  if (config.github.tokens.length === 0) {
    log('neevscan: public-events workers not started: GITHUB_TOKEN / GITHUB_TOKENS is not set; what `neevscan poll` queues waits');
    return [];
  }
  declarePublicEventsMetrics();
  const deps = buildPublicEventsDeps(config, redis, rules, log, notify);
  return [
    startWorker<PublicPushJob, PublicScanOutcome>(
      connection,
      config.redisPrefix,
      {
        queue: PUBLIC_PUSH_QUEUE,
        concurrency: 16,
        process: async (data, job, token) => settle(job, token, PUBLIC_PUSH_QUEUE, await processPublicPush(data, deps)),
        describe: (data) => `public push ${data.eventId} (${data.owner}/${data.repo} ${data.head.slice(0, 12)})`,
      },
      log,
      { lockMs: config.jobLockMs },
    ),
    startWorker<PublicScanJob, PublicScanOutcome>(
      connection,
      config.redisPrefix,
      {
        queue: PUBLIC_SCAN_QUEUE,
        concurrency: 2,
        process: async (data, job, token) => settle(job, token, PUBLIC_SCAN_QUEUE, await processPublicScan(data, deps)),
        describe: (data) => `public repository scan ${data.eventId} (${data.owner}/${data.repo})`,
      },
      log,
      { lockMs: config.jobLockMs },
    ),
  ];
}
