import { defineConfig } from 'vitest/config';

/**
 * The cluster pass (`npm run test:cluster`; .ci/run runs it after `npm test`): the service's end-to-end files run a
 * second time, on a local Redis Cluster of 3 masters with a replica each that test/helpers/global-redis-cluster.ts
 * starts for the run (REDIS_CLUSTER_NODES; the test helpers' Redis follows it: test/helpers/redis.ts). Chosen to
 * cover the flows that cross the queues and stores: push → revoke → alert → check run → notify, the key store API,
 * the partner (secret scanning) endpoint, the public report endpoint, text events, `serve` beside `worker`, the alert
 * review API, and the receiver's WAIT for replicas. docs/SCALING.md lists them.
 */
export default defineConfig({
  test: {
    include: [
      'test/pipeline/push-e2e.test.ts',
      'test/notify/notify-e2e.test.ts',
      'test/server/keys-api.test.ts',
      'test/server/secret-scanning.test.ts',
      'test/server/public-report.test.ts',
      'test/server/redis-wait.test.ts',
      'test/server/multi-process.test.ts',
      'test/pipeline/text-e2e.test.ts',
      'test/server/alerts-api.test.ts',
    ],
    // The single node too: a file may still hold a client of REDIS_URL for what is not under test.
    globalSetup: ['test/helpers/global-redis.ts', 'test/helpers/global-redis-cluster.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
