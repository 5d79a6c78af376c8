import type { ConnectionOptions, JobsOptions, Queue } from 'bullmq';
import { openQueue } from './queues.js';

/** The notification queue: one job per alert, which the notifier (owner email and signed webhook) consumes. */
export const NOTIFY_QUEUE = 'notify';

/** A notification job names the alert only; the notifier reads the alert (hint, places, what was done) when it runs. */
export interface NotifyJob {
  alertId: string;
}

/**
 * The job id is the alert's, so however many places a key turns up in (forks,
 * mirrors, a redelivered push), the owner gets one notification for it; the
 * short delay lets the places found in the same burst land on the alert first.
 */
const NOTIFY_DELAY_MS = 2000;

export const NOTIFY_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export function notifyQueue(connection: ConnectionOptions, redisPrefix: string): Queue<NotifyJob> {
  return openQueue<NotifyJob>(NOTIFY_QUEUE, connection, redisPrefix, NOTIFY_JOB_OPTIONS);
}

/** Enqueues the alert's notification; a second call for the same alert is a no-op while its job is kept. */
export function enqueueNotification(queue: Queue<NotifyJob>): (alertId: string) => Promise<void> {
  return async (alertId) => {
    await queue.add('notify', { alertId }, { jobId: `alert-${alertId}`, delay: NOTIFY_DELAY_MS });
  };
}
