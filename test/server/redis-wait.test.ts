import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { ReplicaWait } from '../../src/stores/redis-wait.js';
import { PUSH_QUEUE, queuePrefix } from '../../src/core/queue-names.js';
import { INSTALLATION, WEBHOOK_SECRET, deliver } from '../helpers/pipeline.js';
import { githubPushPayload } from '../helpers/push-payload.js';
import { TEST_CLUSTER_NODES, deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { spawnServe } from '../helpers/server.js';

/**
 * NEEVSCAN_REDIS_WAIT_REPLICAS: the webhook receiver WAITs for replicas of the queue's master before its 202. Runs
 * in both passes: on the single node at REDIS_URL (no replicas) and, in `npm run test:cluster`, on the pass's cluster
 * (a replica per master, NEEVSCAN_REDIS_WAIT_REPLICAS=1 for every service of the pass).
 */
const redis = testRedis();
const prefixes: string[] = [];
const stops: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const stop of stops) await stop();
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function serve(env: Record<string, string> = {}) {
  const prefix = freshPrefix();
  prefixes.push(prefix);
  const s = await spawnServe({ NEEVSCAN_REDIS_PREFIX: prefix, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET, ...env }, { readyMs: 60_000 });
  stops.push(s.stop);
  return { ...s, prefix };
}

const push = (n: number) =>
  githubPushPayload({
    owner: 'octo-org',
    name: 'app',
    private: false,
    before: '1'.repeat(40),
    after: `${n}`.repeat(40),
    installation: INSTALLATION,
  });

async function waitMetric(url: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith('neevscan_redis_wait_total{'));
}

async function jobState(prefix: string, id: string): Promise<string> {
  const queue = new Queue(PUSH_QUEUE, { connection: redis, prefix: queuePrefix(prefix, PUSH_QUEUE) });
  try {
    return await queue.getJobState(id);
  } finally {
    await queue.close();
  }
}

describe('NEEVSCAN_REDIS_WAIT_REPLICAS', () => {
  it('is off (0) by default; takes a whole number of replicas and a positive timeout', () => {
    expect(readConfig({}).redisWait).toEqual({ replicas: 0, timeoutMs: 100 });
    expect(readConfig({ NEEVSCAN_REDIS_WAIT_REPLICAS: '1', NEEVSCAN_REDIS_WAIT_TIMEOUT_MS: '250' }).redisWait).toEqual({
      replicas: 1,
      timeoutMs: 250,
    });
    expect(() => readConfig({ NEEVSCAN_REDIS_WAIT_REPLICAS: '-1' })).toThrow('NEEVSCAN_REDIS_WAIT_REPLICAS must be a whole number');
    expect(() => readConfig({ NEEVSCAN_REDIS_WAIT_TIMEOUT_MS: '0' })).toThrow('NEEVSCAN_REDIS_WAIT_TIMEOUT_MS must be a positive');
  });

  it('answers 202 when fewer replicas than asked confirm the job, with a warning and neevscan_redis_wait_total{outcome="short"}', async () => {
    // Two replicas: more than either pass's Redis has (none on the single node, one per master on the cluster).
    const s = await serve({ NEEVSCAN_REDIS_WAIT_REPLICAS: '2', NEEVSCAN_REDIS_WAIT_TIMEOUT_MS: '50' });
    const res = await deliver(s.url, 'push', push(2), 'wait-short');
    expect(res.status).toBe(202);
    expect(await waitMetric(s.url)).toEqual(['neevscan_redis_wait_total{queue="push",outcome="short"} 1']);
    expect(s.output()).toMatch(
      /of NEEVSCAN_REDIS_WAIT_REPLICAS=2 replicas confirmed the push queue's new jobs within 50 ms; answered anyway/,
    );
    // The job is on the queue all the same.
    expect(await jobState(s.prefix, 'wait-short')).not.toBe('unknown');
  }, 90_000);

  it(
    TEST_CLUSTER_NODES
      ? "waits on the push queue's own master, whose replica confirms the job (the cluster pass)"
      : 'does not WAIT when the setting is off (the single-node pass)',
    async () => {
      // The pass's setting: NEEVSCAN_REDIS_WAIT_REPLICAS=1 in the cluster pass, unset on the single node.
      const s = await serve();
      expect((await deliver(s.url, 'push', push(3), 'wait-pass')).status).toBe(202);
      expect(await jobState(s.prefix, 'wait-pass')).not.toBe('unknown');
      if (TEST_CLUSTER_NODES) {
        expect(s.output()).toContain(`REDIS_CLUSTER_NODES=${TEST_CLUSTER_NODES} (Redis Cluster)`);
        expect(await waitMetric(s.url)).toEqual(['neevscan_redis_wait_total{queue="push",outcome="confirmed"} 1']);
        // A WAIT on another master would confirm too (no writes of its connection to wait for): the routing itself.
        const tag = queuePrefix(s.prefix, PUSH_QUEUE);
        const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', tag));
        const ranges = (await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const master = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
        const connection = await new ReplicaWait(redis).connectionFor(tag);
        expect(connection?.options.port).toBe(master);
      } else {
        expect(await waitMetric(s.url)).toEqual([]);
      }
    },
    90_000,
  );
});
