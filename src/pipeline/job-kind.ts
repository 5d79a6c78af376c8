import type { Job, JobsOptions } from 'bullmq';
import type { Config } from '../config.js';
import type { NotifierDeps } from '../notify/notifier.js';
import type { AppJobDeps } from './deps.js';
import type { HandleExposureDeps } from './handle-exposure.js';
import type { NotifyTiming } from './notify-queue.js';
import type { PublicEventsDeps } from './public-events-deps.js';

/** Works one job: `job` and `token` are for a processor that reschedules its own job (see putOff in queue-worker.ts). */
export type Processor<T, R> = (data: T, job: Job<T, R>, token: string | undefined) => Promise<R>;

/**
 * What a queue's job options may depend on: the notify queue's tries (NEEVSCAN_NOTIFY_ATTEMPTS,
 * NEEVSCAN_NOTIFY_BACKOFF_MS), and the revocation checks'.
 */
export interface QueueSettings {
  notify?: Pick<NotifyTiming, 'attempts' | 'backoffMs'>;
  /** The verify-revocation queue's tries (NEEVSCAN_REVOCATION_CHECK_ATTEMPTS, NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS). */
  revocationCheck?: { attempts: number; backoffMs: number };
}

/** Why a process does not work a queue (its jobs wait in Redis for one that does); logged once per distinct reason. */
export interface NotWorkedHere {
  notWorked: string;
}

/**
 * What the queue workers of one process may draw on. Each part is built when a
 * kind first asks for it, once, and shared: the App's jobs share one App client,
 * the public-events jobs one token pool.
 */
export interface JobDeps {
  config: Config;
  log: (message: string) => void;
  /** The GitHub App's jobs (push, wiki, repo-scan, check-run), or why they wait (no App configured). */
  app(): AppJobDeps | NotWorkedHere;
  /** Confirm → revoke → alert: needs no GitHub App. */
  exposures(): HandleExposureDeps;
  /** What `neevscan poll` queues, worked with GITHUB_TOKEN(S), or why it waits. */
  publicEvents(): PublicEventsDeps | NotWorkedHere;
  notifier(): NotifierDeps;
}

/**
 * One kind of job of the pipeline: its queue, how it is enqueued and how it is
 * worked. Every kind is one value, named in the registry (registry.ts), which
 * `serve` and `worker` open, start and close as a list.
 */
export interface JobKind<T = unknown, R = unknown> {
  /** The BullMQ queue (src/core/queue-names.ts): renaming one strands the jobs waiting under the old name. */
  queue: string;
  /** The queue's default job options (retries, backoff, retention); a setting absent: its default. */
  jobOptions(settings?: QueueSettings): JobsOptions;
  /** Jobs one process works at once. */
  concurrency(config: Config): number;
  /** How a job is named in log lines: names and places only, never a key. */
  describe(data: T): string;
  /** The processor, bound to this process's dependencies, or why this process does not work the queue. */
  processor(deps: JobDeps): Processor<T, R> | NotWorkedHere;
}
