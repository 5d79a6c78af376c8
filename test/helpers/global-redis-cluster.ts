/**
 * vitest globalSetup of the cluster pass (`npm run test:cluster`, vitest.cluster.config.ts): a local Redis Cluster
 * of 3 masters with one replica each (test/helpers/redis-cluster.ts) on spare ports for the whole run. Its nodes go
 * to the test files (and through them to every `serve` and in-process server they start) as REDIS_CLUSTER_NODES with
 * NEEVSCAN_TEST_REDIS=cluster (test/helpers/redis.ts reads both); NEEVSCAN_REDIS_WAIT_REPLICAS=1 makes every
 * receiver of the pass wait for the replica of the queue it added to before answering, as a deployment would.
 */
import { hasRedisCluster, startLocalCluster } from './redis-cluster.js';

export default async function setup(): Promise<() => Promise<void>> {
  if (!hasRedisCluster()) {
    throw new Error(
      'the cluster pass needs redis-server and redis-cli (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)',
    );
  }
  const cluster = await startLocalCluster({ masters: 3, replicas: 1 });
  process.env.NEEVSCAN_TEST_REDIS = 'cluster';
  process.env.REDIS_CLUSTER_NODES = cluster.nodes;
  process.env.NEEVSCAN_REDIS_WAIT_REPLICAS ??= '1';
  process.env.NEEVSCAN_REDIS_WAIT_TIMEOUT_MS ??= '1000';
  console.log(`test setup: a local Redis Cluster (3 masters, 1 replica each) at REDIS_CLUSTER_NODES=${cluster.nodes} for this run`);
  return () => cluster.close();
}
