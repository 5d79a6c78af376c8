import type { JobKind } from '../job-kind.js';
import { processPush, type PushResult } from '../process-push.js';
import { PUSH_QUEUE, RETRYING_JOB_OPTIONS, type PushJob } from '../queues.js';

/** One job per accepted push delivery (id: the delivery id); NEEVSCAN_PUSH_CONCURRENCY at once per process. */
export const pushJobs: JobKind<PushJob, PushResult> = {
  queue: PUSH_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: (config) => config.pushConcurrency,
  describe: (job) => `push ${job.deliveryId} (${job.owner}/${job.repo})`,
  processor: (deps) => {
    const app = deps.app();
    return 'notWorked' in app ? app : (job) => processPush(job, app);
  },
};
