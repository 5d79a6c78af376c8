import type { JobKind } from '../job-kind.js';
import { NOTIFY_QUEUE, notifyJobOptions, type NotifyJob } from '../notify-queue.js';
import { processNotification, type NotifyOutcome } from '../../notify/notifier.js';

/**
 * One job per notice of an alert (the first, then rate-limited follow-ups;
 * enqueued by enqueueNotification, with its delay), each delivering the owner's
 * email and signed webhook and the security team's copies. Jobs are mostly
 * waiting on SMTP and webhook receivers (a mail is ~100 ms of SMTP round
 * trips): 32 at once per process.
 */
export const notifyJobs: JobKind<NotifyJob, NotifyOutcome> = {
  queue: NOTIFY_QUEUE,
  jobOptions: (settings) => notifyJobOptions(settings?.notify),
  concurrency: () => 32,
  describe: (job) => `notify ${job.alertId}`,
  processor: (deps) => {
    const notifier = deps.notifier();
    return (data, job) =>
      processNotification(notifier, {
        alertId: data.alertId,
        jobId: job.id!,
        // attemptsMade counts the tries that failed before this one.
        lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
      });
  },
};
