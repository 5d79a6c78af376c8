import type { CheckRunFinding, NotRead } from './check-run.js';
import { CHECK_RUN_QUEUE } from '../core/queue-names.js';
import type { Enqueue } from '../core/queued-job.js';

/**
 * The check-run queue: a push's findings, reported on its head commit after
 * the keys are revoked. A queue of its own because GitHub paces an
 * installation's writes (about one a second, and ~80 content-creating
 * requests a minute): in the push job, a check run would hold up the next
 * push's revocation behind that pacing.
 */
export { CHECK_RUN_QUEUE };

/** Names, places and hints only (`neev_…abcd`), like every job. */
export interface CheckRunJob {
  deliveryId: string;
  installationId: number;
  owner: string;
  repo: string;
  headSha: string;
  findings: CheckRunFinding[];
  /** What part of the push could not be read; absent when all of it was (and in jobs queued before it existed). */
  notRead?: NotRead;
}

/** One check-run job per push delivery: a retried push job enqueues nothing twice. */
export function enqueueCheckRun(enqueue: Enqueue): (job: CheckRunJob) => Promise<void> {
  return (job) => enqueue([{ queue: CHECK_RUN_QUEUE, data: job, jobId: job.deliveryId }]);
}
