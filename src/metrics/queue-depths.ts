import { Queue, type ConnectionOptions } from 'bullmq';
import { queuePrefix } from '../core/queue-names.js';
import { gauge } from './registry.js';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
/** A scrape never waits on Redis longer than this: a queue that cannot be read is left out of that scrape. */
const READ_TIMEOUT_MS = 2000;

const watched = new Set<Queue>();

function depthGauge() {
  return gauge<'queue' | 'state'>({
    name: 'neevscan_queue_jobs',
    help: 'Jobs in each pipeline queue by state (waiting, prioritized, active, delayed, failed: kept for inspection), read from Redis at each scrape',
    labelNames: ['queue', 'state'],
    async collect() {
      this.reset();
      await Promise.all(
        [...watched].map(async (queue) => {
          const counts = await Promise.race([
            queue.getJobCounts(...STATES).catch(() => null),
            new Promise<null>((resolve) => setTimeout(() => resolve(null), READ_TIMEOUT_MS).unref()),
          ]);
          if (counts) for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
}

/**
 * Reports the depth of the named queues (the pipeline's registry lists them) on /metrics, read with BullMQ's
 * getJobCounts at each scrape (nothing is polled between scrapes). Returns the
 * function that stops it and closes its queue handles (the connection is the caller's).
 */
export function watchQueueDepths(connection: ConnectionOptions, redisPrefix: string, names: readonly string[]): () => Promise<void> {
  depthGauge();
  const queues = names.map((name) => new Queue(name, { connection, prefix: queuePrefix(redisPrefix, name) }));
  for (const queue of queues) {
    queue.on('error', () => {}); // the connection's owner reports outages
    watched.add(queue);
  }
  return async () => {
    for (const queue of queues) watched.delete(queue);
    await Promise.all(queues.map((queue) => queue.close().catch(() => {})));
  };
}
