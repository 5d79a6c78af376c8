import type { JobKind } from '../job-kind.js';
import type { PublicScanOutcome } from '../process-public-push.js';
import { processPublicScan } from '../process-public-scan.js';
import { settle } from '../public-events-deps.js';
import { PUBLIC_EVENT_JOB_OPTIONS, PUBLIC_SCAN_QUEUE, type PublicScanJob } from '../public-events-queues.js';

/** Repositories made public, from the feed (id: publicEventJobId): long (a tree and a history), 2 at once per process. */
export const publicScanJobs: JobKind<PublicScanJob, PublicScanOutcome> = {
  queue: PUBLIC_SCAN_QUEUE,
  jobOptions: () => PUBLIC_EVENT_JOB_OPTIONS,
  concurrency: () => 2,
  describe: (data) => `public repository scan ${data.eventId} (${data.owner}/${data.repo})`,
  processor: (deps) => {
    const publicEvents = deps.publicEvents();
    if ('notWorked' in publicEvents) return publicEvents;
    return async (data, job, token) => settle(job, token, PUBLIC_SCAN_QUEUE, await processPublicScan(data, publicEvents));
  },
};
