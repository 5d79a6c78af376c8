/**
 * One job on its way to a queue, as the parts that plan work (the webhook
 * receiver, the poller) hand it to whoever enqueues: the queue's name, the job's
 * data (names, SHAs, hashes and hints only: BullMQ keeps job data in clear in
 * Redis), and an id that makes enqueueing the same delivery twice add nothing.
 * This module imports nothing of the project.
 */
export interface QueuedJob<T = unknown> {
  queue: string;
  data: T;
  jobId: string;
}

/**
 * Adds jobs to their queues, each under its id: adding a job again adds nothing, so when an add fails part way the
 * caller's retry (a delivery answered 503 and redelivered) adds what is missing and no job twice.
 */
export type Enqueue = (jobs: readonly QueuedJob[]) => Promise<void>;
