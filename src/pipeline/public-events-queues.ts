/**
 * The queues `neevscan poll` fills from GitHub's public events feed and the
 * workers of `serve` (or `worker`) empty. Jobs hold names and SHAs only (BullMQ
 * keeps job data in clear in Redis): never text from the feed, never a key.
 */
import type { JobsOptions } from 'bullmq';
import { PUBLIC_PUSH_QUEUE, PUBLIC_SCAN_QUEUE } from '../core/queue-names.js';

/** A push seen in the public feed: fetched with compare (the feed carries no commit list since October 2025). */
export { PUBLIC_PUSH_QUEUE };

export interface PublicPushJob {
  /** The feed's event id. */
  eventId: string;
  owner: string;
  repo: string;
  ref: string;
  /** The branch's old head; all zeros for a new branch (or the repository's first push). */
  before: string;
  head: string;
  /** The commits the event listed, when it listed any (the feed did before October 2025, at most 20). */
  commitShas: string[];
  /** The event's `created_at`: the start of the lag metric. */
  createdAt: string;
  /** When the poller read it: the start of the age bound (jobs older than PUBLIC_EVENTS_MAX_AGE_SECONDS are dropped). */
  receivedAt: string;
}

/** A repository just made public (`PublicEvent`): its default branch and its history are scanned. */
export { PUBLIC_SCAN_QUEUE };

export interface PublicScanJob {
  eventId: string;
  owner: string;
  repo: string;
  createdAt: string;
  receivedAt: string;
}

/**
 * Fewer attempts than App pushes: a public push that keeps failing is one of
 * thousands an hour, and the age bound drops it soon anyway.
 */
export const PUBLIC_EVENT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** One job per feed event: a poller that reads an event twice (a restart mid-poll) adds nothing twice. */
export function publicEventJobId(eventId: string): string {
  return `event-${eventId}`;
}
