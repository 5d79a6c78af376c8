import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from './redis-cluster.js';

// The cluster the Redis Cluster tests run on: it must really be a cluster (keys spread over masters) and really
// fail over (a killed master's replica takes its slots with the data WAIT saw replicated).
describe('local Redis Cluster (test helper)', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicas: 1 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('spreads hash tags over three masters', async () => {
    const masters = new Set<number>();
    for (const tag of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) masters.add(await cluster.masterOf(`{${tag}}`));
    expect(masters.size).toBe(3);
  });

  it('fails over: a killed master is replaced by its replica, with the data it replicated', async () => {
    const client = cluster.client();
    try {
      await client.set('{failover}:k', 'v');
      const master = await cluster.masterOf('{failover}:k');
      const node = client.nodes('master').find((n) => n.options.port === master)!;
      expect(await node.call('WAIT', '1', '2000')).toBe(1);
      await cluster.kill(master);
      await cluster.waitHealthy();
      expect(await cluster.masterOf('{failover}:k')).not.toBe(master);
      const after = cluster.client();
      try {
        expect(await after.get('{failover}:k')).toBe('v');
      } finally {
        after.disconnect();
      }
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
