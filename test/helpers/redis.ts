import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The cluster pass (`npm run test:cluster`, vitest.cluster.config.ts): NEEVSCAN_TEST_REDIS=cluster and the
 * REDIS_CLUSTER_NODES of the local cluster its globalSetup started (test/helpers/global-redis-cluster.ts).
 * Undefined in the single-node pass.
 */
export const TEST_CLUSTER_NODES = process.env.NEEVSCAN_TEST_REDIS === 'cluster' ? process.env.REDIS_CLUSTER_NODES : undefined;

/**
 * The Redis variables a service under test gets: REDIS_URL, and in the cluster pass REDIS_CLUSTER_NODES (which wins
 * over REDIS_URL) and the pass's NEEVSCAN_REDIS_WAIT_* settings. In the single-node pass REDIS_CLUSTER_NODES is set
 * empty, so a cluster in the caller's own environment cannot pull a spawned `serve` away from the tests' node.
 */
export function testRedisEnv(): Record<string, string> {
  if (!TEST_CLUSTER_NODES) return { REDIS_URL, REDIS_CLUSTER_NODES: '' };
  const waits: Record<string, string> = {};
  for (const name of ['NEEVSCAN_REDIS_WAIT_REPLICAS', 'NEEVSCAN_REDIS_WAIT_TIMEOUT_MS']) {
    const value = process.env[name];
    if (value !== undefined) waits[name] = value;
  }
  return { REDIS_URL, REDIS_CLUSTER_NODES: TEST_CLUSTER_NODES, ...waits };
}

/** A fresh key prefix for one test, and a function that deletes everything under it. */
export function freshPrefix(): string {
  return `nstest:${randomBytes(6).toString('hex')}:`;
}

/**
 * The tests' own connection to the Redis under test: the node at REDIS_URL, or in the cluster pass a cluster client
 * (typed as a Redis: it takes the same commands, each routed by its key's slot; a keyless command such as KEYS goes
 * to one random node, so tests of the cluster pass read keys by name or through deletePrefix/dumpPrefix).
 */
export function testRedis(): Redis {
  if (TEST_CLUSTER_NODES) {
    const nodes = TEST_CLUSTER_NODES.split(',').map((node) => {
      const [host, port] = node.split(':');
      return { host: host!, port: Number(port) };
    });
    return new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } }) as unknown as Redis;
  }
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** The nodes to SCAN for a prefix: the node itself, or every master of a cluster (each holds its own slots' keys). */
async function scanTargets(redis: Redis | Cluster): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the test cluster client did not become ready')), 20_000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return redis.nodes('master');
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  const cluster = redis instanceof Cluster;
  for (const node of await scanTargets(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      // On a cluster node, one DEL per key: a DEL of keys in different slots is refused (CROSSSLOT).
      if (keys.length && !cluster) await node.del(...keys);
      else if (keys.length) await Promise.all(keys.map((key) => node.del(key)));
    } while (cursor !== '0');
  }
}

/**
 * Every Redis key under the prefix with its whole value, as bytes: what a dump of the store would show (every master
 * of a cluster). In key order: SCAN's order changes when a node's table is resized by other tests' writes (often on a
 * cluster, whose nodes hold few keys), and tests compare a dump before and after.
 */
export async function dumpPrefix(redis: Redis | Cluster, prefix: string): Promise<Buffer[]> {
  const entries: Buffer[][] = [];
  for (const node of await scanTargets(redis)) entries.push(...(await dumpNode(node, prefix)));
  entries.sort((a, b) => Buffer.compare(a[0]!, b[0]!));
  return entries.flat();
}

/** One entry per key: the key, then its value's parts and its DUMP. */
async function dumpNode(redis: Redis, prefix: string): Promise<Buffer[][]> {
  const entries: Buffer[][] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = String(next);
    for (const key of keys) {
      const out: Buffer[] = [key];
      const type = await redis.type(key);
      if (type === 'string') out.push((await redis.getBuffer(key))!);
      else if (type === 'hash')
        for (const [field, value] of Object.entries(await redis.hgetallBuffer(key))) out.push(Buffer.from(field, 'latin1'), value);
      else if (type === 'zset') out.push(...(await redis.zrangeBuffer(key, 0, -1)));
      else if (type === 'set') out.push(...(await redis.smembersBuffer(key)));
      else if (type === 'list') out.push(...(await redis.lrangeBuffer(key, 0, -1)));
      // DUMP is the serialized value as Redis would persist it.
      const dumped = await redis.dumpBuffer(key);
      if (dumped) out.push(dumped);
      entries.push(out);
    }
  } while (cursor !== '0');
  return entries;
}
