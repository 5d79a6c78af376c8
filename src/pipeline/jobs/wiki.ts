import type { JobKind } from '../job-kind.js';
import { processWiki, type WikiResult } from '../process-wiki.js';
import { RETRYING_JOB_OPTIONS } from '../queues.js';
import { WIKI_QUEUE, type WikiJob } from '../wiki-job.js';

/** One job per `gollum` delivery (id: the delivery id). Each job runs git (a shallow fetch), so a few at once per process. */
export const wikiJobs: JobKind<WikiJob, WikiResult> = {
  queue: WIKI_QUEUE,
  jobOptions: () => RETRYING_JOB_OPTIONS,
  concurrency: () => 4,
  describe: (job) => `wiki edit of ${job.owner}/${job.repo} (${job.deliveryId})`,
  processor: (deps) => {
    const app = deps.app();
    return 'notWorked' in app ? app : (job) => processWiki(job, app);
  },
};
