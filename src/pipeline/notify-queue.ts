import type { JobsOptions, Queue } from 'bullmq';
import type { RedisClient } from '../stores/redis.js';
import { DeliveryState } from '../notify/delivery-state.js';
import { NOTIFY_QUEUE } from '../core/queue-names.js';

/** The notification queue: one job per notice of an alert, which the notifier (src/notify/) consumes. */
export { NOTIFY_QUEUE };

/** A notification job names the alert only; the notifier reads the alert (hint, places, what was done) when it runs. */
export interface NotifyJob {
  alertId: string;
}

/** When notices go out: NEEVSCAN_NOTIFY_DELAY_MS, NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS (as ms); tries: NEEVSCAN_NOTIFY_ATTEMPTS, NEEVSCAN_NOTIFY_BACKOFF_MS. */
export interface NotifyTiming {
  delayMs: number;
  followUpMs: number;
  attempts: number;
  backoffMs: number;
}

/**
 * The defaults. The first notice waits 2 s so that the places found in the
 * same burst (forks, mirrors, a push to several branches) land on the alert
 * and go out in it; places found later go in a follow-up, at most one an hour.
 */
export const DEFAULT_NOTIFY_TIMING: NotifyTiming = { delayMs: 2000, followUpMs: 3600_000, attempts: 16, backoffMs: 1000 };

/**
 * Retries with exponential backoff and jitter: 1 s, 2 s, 4 s… (each 50–100%
 * of that), 16 tries over about 9 hours by default, so a receiver that is
 * down for a while still gets the notice. Kept for a week (completed) or a
 * month (failed) for inspection.
 */
export function notifyJobOptions(timing: Pick<NotifyTiming, 'attempts' | 'backoffMs'> = DEFAULT_NOTIFY_TIMING): JobsOptions {
  return {
    attempts: timing.attempts,
    backoff: { type: 'exponential', delay: timing.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

/**
 * Enqueues the alert's notification; called for every exposure recorded
 * (including redeliveries). While the alert's first notice is pending, every
 * call adds the same job (`alert-<id>`), a no-op: one notification per burst,
 * however many places. Once a notice has gone out, a new place schedules one
 * follow-up job (`alert-<id>-<n>`), delayed until `followUpMs` after the last
 * notice; the notifier sends it only if places were added since. That
 * bookkeeping is one Lua script (src/notify/delivery-state.ts) on
 * `scheduling.redis`, the Redis the alerts are on. Without `scheduling` (tests
 * of the producers), only the first job is ever added, as before follow-ups.
 */
export function enqueueNotification(
  queue: Queue<NotifyJob>,
  scheduling?: { redis: RedisClient; redisPrefix: string; timing?: Pick<NotifyTiming, 'delayMs' | 'followUpMs'> },
): (alertId: string) => Promise<void> {
  const state = scheduling ? new DeliveryState(scheduling.redis, scheduling.redisPrefix) : null;
  const timing = scheduling?.timing ?? DEFAULT_NOTIFY_TIMING;
  return async (alertId) => {
    const { jobId, delayMs } = state
      ? await state.schedule(alertId, Date.now(), timing)
      : { jobId: `alert-${alertId}`, delayMs: timing.delayMs };
    await queue.add('notify', { alertId }, { jobId, delay: delayMs });
  };
}
