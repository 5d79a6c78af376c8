import type { JobKind } from '../job-kind.js';
import { processPublicPush, type PublicScanOutcome } from '../process-public-push.js';
import { settle } from '../public-events-deps.js';
import { PUBLIC_EVENT_JOB_OPTIONS, PUBLIC_PUSH_QUEUE, type PublicPushJob } from '../public-events-queues.js';

/**
 * Public pushes `neevscan poll` reads from the feed (id: publicEventJobId):
 * many and short, 16 at once per process. Worked when GITHUB_TOKEN or
 * GITHUB_TOKENS is set; the exposures the poller finds in text go to the
 * exposure queue, which needs none.
 */
export const publicPushJobs: JobKind<PublicPushJob, PublicScanOutcome> = {
  queue: PUBLIC_PUSH_QUEUE,
  jobOptions: () => PUBLIC_EVENT_JOB_OPTIONS,
  concurrency: () => 16,
  describe: (data) => `public push ${data.eventId} (${data.owner}/${data.repo} ${data.head.slice(0, 12)})`,
  processor: (deps) => {
    const publicEvents = deps.publicEvents();
    if ('notWorked' in publicEvents) return publicEvents;
    return async (data, job, token) => settle(job, token, PUBLIC_PUSH_QUEUE, await processPublicPush(data, publicEvents));
  },
};
