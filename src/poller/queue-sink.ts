import type { ConnectionOptions } from 'bullmq';
import { publicEventJobId, publicPushQueue, publicScanQueue } from '../pipeline/public-events-queues.js';
import { deliveryJobId, exposureQueue } from '../pipeline/queues.js';
import type { PollerSink } from './poller.js';

/**
 * The poller's work into the pipeline's queues: public pushes and repository
 * scans (one job per event, by event id), and the keys found in text on the
 * exposure queue (one job per key, by event id and index). Re-queueing an
 * event's work (a read repeated after a crash) adds nothing twice.
 */
export function queueSink(connection: ConnectionOptions, redisPrefix: string): PollerSink & { close(): Promise<void> } {
  const pushes = publicPushQueue(connection, redisPrefix);
  const scans = publicScanQueue(connection, redisPrefix);
  const exposures = exposureQueue(connection, redisPrefix);
  // Failures reach the poller through the calls below; the queues' own error events would only repeat them.
  for (const queue of [pushes, scans, exposures]) queue.on('error', () => {});
  return {
    pushes: async (jobs) => void (await pushes.addBulk(jobs.map((data) => ({ name: 'public-push', data, opts: { jobId: publicEventJobId(data.eventId) } })))),
    scans: async (jobs) => void (await scans.addBulk(jobs.map((data) => ({ name: 'public-scan', data, opts: { jobId: publicEventJobId(data.eventId) } })))),
    exposures: async (jobs) => void (await exposures.addBulk(jobs.map((data, i) => ({ name: 'exposure', data, opts: { jobId: deliveryJobId(data.deliveryId, i) } })))),
    close: async () => void (await Promise.all([pushes, scans, exposures].map((q) => q.close().catch(() => {})))),
  };
}
