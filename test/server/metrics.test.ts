import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPOSURE_QUEUE } from '../../src/core/queue-names.js';
import { registry } from '../../src/metrics/registry.js';
import { watchQueueDepths } from '../../src/metrics/queue-depths.js';
import { PUSH_QUEUE, queuePrefix } from '../../src/pipeline/queues.js';
import { NOTIFY_QUEUE } from '../../src/pipeline/notify-queue.js';
import { startQueueWorker } from '../../src/pipeline/queue-worker.js';
import { JOB_QUEUES } from '../../src/pipeline/registry.js';
import { WEBHOOK_SECRET, deliver, until } from '../helpers/pipeline.js';
import { REDIS_URL, deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { enqueueTo, startServer, type TestServer } from '../helpers/server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The current value of one series, 0 when it has not been set. */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

describe('metrics', () => {
  it('counts webhook deliveries by event and outcome, forged ones as refused and unknown events as other', async () => {
    const t: TestServer = await startServer(
      { GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
      { enqueue: enqueueTo({ [EXPOSURE_QUEUE]: async () => {} }), rules: [] },
    );
    cleanups.push(() => t.close());
    const labels = (event: string, outcome: string) => ({ event, outcome });
    const before = {
      refused: await value('neevscan_webhook_deliveries_total', labels('issue_comment', 'refused')),
      accepted: await value('neevscan_webhook_deliveries_total', labels('issue_comment', 'accepted')),
      duplicate: await value('neevscan_webhook_deliveries_total', labels('issue_comment', 'duplicate')),
      other: await value('neevscan_webhook_deliveries_total', labels('other', 'refused')),
    };
    expect((await deliver(t.url, 'issue_comment', { action: 'created' }, 'm-1', 'not-the-secret')).status).toBe(401);
    expect((await deliver(t.url, 'made-up-event-name', { action: 'created' }, 'm-2', 'not-the-secret')).status).toBe(401);
    expect((await deliver(t.url, 'issue_comment', { action: 'deleted' }, 'm-3')).status).toBe(202);
    expect((await deliver(t.url, 'issue_comment', { action: 'deleted' }, 'm-3')).status).toBe(200);
    expect(await value('neevscan_webhook_deliveries_total', labels('issue_comment', 'refused'))).toBe(before.refused + 1);
    expect(await value('neevscan_webhook_deliveries_total', labels('other', 'refused'))).toBe(before.other + 1);
    expect(await value('neevscan_webhook_deliveries_total', labels('issue_comment', 'accepted'))).toBe(before.accepted + 1);
    expect(await value('neevscan_webhook_deliveries_total', labels('issue_comment', 'duplicate'))).toBe(before.duplicate + 1);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).not.toContain('made-up-event-name');
  });

  it('reads queue depths at each scrape and counts failed attempts per queue (retry, then gave_up)', async () => {
    const prefix = freshPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const stop = watchQueueDepths(redis, prefix, JOB_QUEUES);
    cleanups.push(stop);
    const push = new Queue(PUSH_QUEUE, { connection: redis, prefix: queuePrefix(prefix, PUSH_QUEUE) });
    const notify = new Queue(NOTIFY_QUEUE, { connection: redis, prefix: queuePrefix(prefix, NOTIFY_QUEUE) });
    cleanups.push(async () => {
      await push.close();
      await notify.close();
    });
    await push.add('push', { n: 1 });
    await push.add('push', { n: 2 });
    await notify.add('notify', { alertId: 'x' }, { delay: 60_000 });
    const text = await registry.metrics();
    expect(text).toContain('neevscan_queue_jobs{queue="push",state="waiting"} 2');
    expect(text).toContain('neevscan_queue_jobs{queue="notify",state="delayed"} 1');
    expect(text).toContain('neevscan_queue_jobs{queue="public-push",state="waiting"} 0');

    // A worker whose job always fails: one retry, then it gives up.
    const before = {
      retry: await value('neevscan_queue_job_failures_total', { queue: PUSH_QUEUE, outcome: 'retry' }),
      gaveUp: await value('neevscan_queue_job_failures_total', { queue: PUSH_QUEUE, outcome: 'gave_up' }),
    };
    await push.obliterate({ force: true });
    // Workers block on Redis: BullMQ wants a connection that never gives up a request.
    const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = startQueueWorker(
      workerConnection,
      prefix,
      { queue: PUSH_QUEUE, concurrency: 1, process: async () => Promise.reject(new Error('GitHub is down')), describe: () => 'push' },
      () => {},
    );
    cleanups.push(async () => {
      await worker.close();
      workerConnection.disconnect();
    });
    await push.add('push', { n: 3 }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    await until(
      async () =>
        (await value('neevscan_queue_job_failures_total', { queue: PUSH_QUEUE, outcome: 'gave_up' })) > before.gaveUp ? true : undefined,
      'the job to give up',
      10_000,
    );
    expect(await value('neevscan_queue_job_failures_total', { queue: PUSH_QUEUE, outcome: 'retry' })).toBe(before.retry + 1);
    expect(await value('neevscan_queue_job_failures_total', { queue: PUSH_QUEUE, outcome: 'gave_up' })).toBe(before.gaveUp + 1);
    expect(await registry.metrics()).toContain('neevscan_queue_jobs{queue="push",state="failed"} 1');
  });
});
