import type { ConnectionOptions, Queue, Worker } from 'bullmq';
import type { Enqueue, QueuedJob } from '../core/queued-job.js';
import type { JobDeps, JobKind, QueueSettings } from './job-kind.js';
import { checkRunJobs } from './jobs/check-run.js';
import { ciLogJobs } from './jobs/ci-log.js';
import { exposureJobs } from './jobs/exposure.js';
import { notifyJobs } from './jobs/notify.js';
import { publicPushJobs } from './jobs/public-push.js';
import { publicScanJobs } from './jobs/public-scan.js';
import { pushJobs } from './jobs/push.js';
import { repoScanJobs } from './jobs/repo-scan.js';
import { wikiJobs } from './jobs/wiki.js';
import { verifyRevocationJobs } from './jobs/verify-revocation.js';
import { openQueue } from './queues.js';
import { startQueueWorker, type QueueWorkerTuning } from './queue-worker.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of kinds of different job types
type AnyJobKind = JobKind<any, any>;

/** Every kind of job of the pipeline: `serve` and `worker` open, work and close these queues. */
export const JOB_KINDS: readonly AnyJobKind[] = [
  pushJobs,
  checkRunJobs,
  wikiJobs,
  repoScanJobs,
  exposureJobs,
  publicPushJobs,
  publicScanJobs,
  ciLogJobs,
  notifyJobs,
  verifyRevocationJobs,
];

/** The names of every queue of the pipeline (queue depth metrics read these). */
export const JOB_QUEUES: readonly string[] = JOB_KINDS.map((kind) => kind.queue);

/** The open queues, by name. */
export type OpenQueues = ReadonlyMap<string, Queue>;

/**
 * Opens the queues of `kinds` (all by default) with their job options. Their
 * `error` events are dropped: the connection's owner reports outages, and a
 * failed add reaches its caller.
 */
export function openQueues(
  connection: ConnectionOptions,
  redisPrefix: string,
  settings?: QueueSettings,
  kinds: readonly AnyJobKind[] = JOB_KINDS,
): OpenQueues {
  const queues = new Map<string, Queue>();
  for (const kind of kinds) {
    const queue = openJobQueue(kind, connection, redisPrefix, settings);
    queue.on('error', () => {});
    queues.set(kind.queue, queue);
  }
  return queues;
}

/** One kind's queue, under the service's prefix, with the kind's job options. */
export function openJobQueue<T, R>(
  kind: JobKind<T, R>,
  connection: ConnectionOptions,
  redisPrefix: string,
  settings?: QueueSettings,
): Queue<T> {
  return openQueue<T>(kind.queue, connection, redisPrefix, kind.jobOptions(settings));
}

/** Closes the queues; one that cannot close (Redis away) is left behind. */
export async function closeQueues(queues: OpenQueues): Promise<void> {
  await Promise.all([...queues.values()].map((queue) => queue.close().catch(() => {})));
}

/**
 * The one way jobs enter the pipeline: each queue's jobs go in one addBulk (a pipeline of adds), or a queue's single
 * job, the usual case, in one add (BullMQ builds addBulk's pipeline on its connection, and ioredis copies every script
 * BullMQ defined there onto each pipeline: most of a one-job add's cost). Named after their queue, under their id:
 * enqueueing the same delivery twice adds nothing, and a retry after a failed enqueue adds what is missing. A queue
 * not open here is a programming error: it throws before anything is added. `afterAdd` runs after each queue's add
 * (the receiver's WAIT for replicas: src/pipeline/replica-confirm.ts).
 */
export function enqueueInto(queues: OpenQueues, afterAdd?: (queue: string) => Promise<unknown>): Enqueue {
  return async (jobs) => {
    const byQueue = new Map<Queue, QueuedJob[]>();
    for (const job of jobs) {
      const queue = queues.get(job.queue);
      if (!queue) throw new Error(`no open queue named ${JSON.stringify(job.queue)}`);
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), job]);
    }
    for (const [queue, queued] of byQueue) {
      const bulk = queued.map((job) => ({ name: job.queue, data: job.data, opts: { jobId: job.jobId } }));
      const [only] = bulk;
      if (bulk.length === 1 && only) await queue.add(only.name, only.data, only.opts);
      else await queue.addBulk(bulk);
      if (afterAdd) await afterAdd(queue.name);
    }
  };
}

/**
 * Starts one queue worker per kind this process can work; for the others, logs
 * why once (their jobs wait in Redis for a process that can).
 */
export function startQueueWorkers(
  connection: ConnectionOptions,
  deps: JobDeps,
  tuning: QueueWorkerTuning,
  kinds: readonly AnyJobKind[] = JOB_KINDS,
): Worker[] {
  const workers: Worker[] = [];
  const reported = new Set<string>();
  for (const kind of kinds) {
    const process = kind.processor(deps);
    if ('notWorked' in process) {
      if (!reported.has(process.notWorked)) deps.log(process.notWorked);
      reported.add(process.notWorked);
      continue;
    }
    const spec = { queue: kind.queue, concurrency: kind.concurrency(deps.config), process, describe: kind.describe };
    workers.push(startQueueWorker(connection, deps.config.redisPrefix, spec, deps.log, tuning));
  }
  return workers;
}
