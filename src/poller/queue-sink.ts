import type { ConnectionOptions } from 'bullmq';
import { EXPOSURE_QUEUE, PUBLIC_PUSH_QUEUE, PUBLIC_SCAN_QUEUE } from '../core/queue-names.js';
import { exposureJobs } from '../pipeline/jobs/exposure.js';
import { publicPushJobs } from '../pipeline/jobs/public-push.js';
import { publicScanJobs } from '../pipeline/jobs/public-scan.js';
import { publicEventJobId } from '../pipeline/public-events-queues.js';
import { deliveryJobId } from '../pipeline/queues.js';
import { closeQueues, enqueueInto, openQueues } from '../pipeline/registry.js';
import type { PollerSink } from './poller.js';

/**
 * The poller's work into the pipeline's queues, through the registry's one
 * Enqueue: public pushes and repository scans (one job per event, by event id),
 * and the keys found in text on the exposure queue (one job per key, by event
 * id and index). Re-queueing an event's work (a read repeated after a crash)
 * adds nothing twice. Failures reach the poller through these calls.
 */
export function queueSink(connection: ConnectionOptions, redisPrefix: string): PollerSink & { close(): Promise<void> } {
  const queues = openQueues(connection, redisPrefix, undefined, [publicPushJobs, publicScanJobs, exposureJobs]);
  const enqueue = enqueueInto(queues);
  return {
    pushes: (jobs) => enqueue(jobs.map((data) => ({ queue: PUBLIC_PUSH_QUEUE, data, jobId: publicEventJobId(data.eventId) }))),
    scans: (jobs) => enqueue(jobs.map((data) => ({ queue: PUBLIC_SCAN_QUEUE, data, jobId: publicEventJobId(data.eventId) }))),
    exposures: (jobs) => enqueue(jobs.map((data, i) => ({ queue: EXPOSURE_QUEUE, data, jobId: deliveryJobId(data.deliveryId, i) }))),
    close: () => closeQueues(queues),
  };
}
