/**
 * How BullMQ holds a running job, derived from one setting (NEEVSCAN_JOB_LOCK_MS),
 * so that the recovery bound and the busy-worker margin are decided in one place.
 *
 * A worker holds each job it runs with a lock of `lockDuration` that it renews
 * every `lockRenewTime`. A worker that dies stops renewing; its lock lapses, and
 * some live worker's stalled-job check (every `stalledInterval`, shared by all
 * workers of a queue) marks the job and, on a later check with the lock gone,
 * puts it back in the queue. So a dead worker's job runs again at most
 * `lockDuration + stalledInterval` after the death (8 s with the default 6 s),
 * and at most `2 × stalledInterval` (4 s) after a fresh worker starts, once the
 * lock has lapsed.
 *
 * A live worker loses a job only if its event loop stalls longer than
 * `lockDuration − lockRenewTime` (4.5 s by default): the renewal then comes too
 * late and another worker runs the job as well. Renewing often (a quarter of the
 * lock) keeps that margin wide while the lock stays short. `lockMarginMs` is the
 * margin; the event-loop watch (src/metrics/event-loop-stall.ts) warns as a stall
 * nears it.
 */
export interface JobLockTimings {
  lockDuration: number;
  lockRenewTime: number;
  stalledInterval: number;
  maxStalledCount: number;
}

/** NEEVSCAN_JOB_LOCK_MS's default: a dead worker's jobs run again within 8 s of its death (see above). */
export const DEFAULT_JOB_LOCK_MS = 6000;

/**
 * A job found stalled this many times runs again; once more and it fails (kept 7 days, counted gave_up). Two, not
 * BullMQ's one: a job can outlive two crashed workers (a deploy and a lost host) and still revoke its keys, while a
 * job that itself kills every worker it lands on stops after three.
 */
export const MAX_STALLED_COUNT = 2;

export function jobLockTimings(lockMs: number = DEFAULT_JOB_LOCK_MS): JobLockTimings {
  return {
    lockDuration: lockMs,
    lockRenewTime: Math.max(1, Math.floor(lockMs / 4)),
    stalledInterval: Math.max(1, Math.floor(lockMs / 3)),
    maxStalledCount: MAX_STALLED_COUNT,
  };
}

/** How long a live worker's event loop may stall before its jobs can be taken from it. */
export function lockMarginMs(timings: JobLockTimings): number {
  return timings.lockDuration - timings.lockRenewTime;
}
