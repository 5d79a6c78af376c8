import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { describeRedisTarget, redactUrl, type RedisTarget } from './redis-target.js';

export { describeRedisTarget, redactUrl, type RedisTarget };

export type Log = (message: string) => void;

/**
 * A connection to the service's Redis: one node, or a Redis Cluster's client.
 * Both take the same commands (and the stores' scripts, lua-script.ts); a
 * cluster routes each command by its keys' slot, so every multi-key command,
 * script or MULTI must keep its keys under one hash tag (`{ks}`, an alert shard's `{al:N}`, one queue's `{q:…}`).
 */
export type RedisClient = Redis | Cluster;

/** How each use of Redis behaves while it is unreachable. */
interface Policy {
  /** Queue commands while disconnected (true), or fail them at once (false). */
  offlineQueue: boolean;
  /** Retries of one command across reconnects; null: forever (BullMQ's blocking commands need this). */
  maxRetriesPerRequest: number | null;
  /** Reconnect with back-off (true), or give up at the first failure (the CLI: it reports and exits). */
  reconnect: boolean;
  lazyConnect: boolean;
  /**
   * Send the commands issued in one turn of the event loop in one write (ioredis' auto-pipelining): fewer writes for
   * the service and fewer reads for Redis. Only for the stores' connection (BullMQ's connections keep their own
   * command flow) and only on a single node: in a cluster one batch can span slots, and a failover's MOVED answers
   * then fail commands of the batch instead of redirecting them.
   */
  autoPipelining?: boolean;
}

const backOff = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/** The one place a connection is made: every process and use goes through here, single node or cluster alike. */
function open(target: RedisTarget, policy: Policy): RedisClient {
  const retryStrategy = policy.reconnect ? backOff : () => null;
  const cluster = target.redisCluster;
  if (!cluster) {
    return new Redis(target.redisUrl, {
      lazyConnect: policy.lazyConnect,
      enableOfflineQueue: policy.offlineQueue,
      maxRetriesPerRequest: policy.maxRetriesPerRequest,
      enableAutoPipelining: policy.autoPipelining ?? false,
      retryStrategy,
    });
  }
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: policy.maxRetriesPerRequest,
    ...(cluster.username ? { username: cluster.username } : {}),
    ...(cluster.password ? { password: cluster.password } : {}),
    ...(cluster.tls ? { tls: {} } : {}),
  };
  const options: ClusterOptions = {
    lazyConnect: policy.lazyConnect,
    enableOfflineQueue: policy.offlineQueue,
    clusterRetryStrategy: retryStrategy,
    // A failover moves slots: commands wait for the new map (MOVED, CLUSTERDOWN) rather than fail while a replica takes over.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 32,
    redisOptions,
  };
  return new Cluster(
    cluster.nodes.map((node) => ({ host: node.host, port: node.port })),
    options,
  );
}

/**
 * A Redis connection that never gives up: with Redis unreachable it retries
 * (backing off to 2 s) and says so, naming REDIS_URL (or REDIS_CLUSTER_NODES), instead of crashing or
 * hanging silently. Commands issued while it is down fail fast (no offline
 * queue), so callers can answer 503 and retry rather than pile up.
 */
export function connectRedis(target: RedisTarget, log: Log = (m) => process.stderr.write(`${m}\n`)): RedisClient {
  let lastLogged = 0;
  const redis = open(target, { lazyConnect: false, offlineQueue: false, maxRetriesPerRequest: 1, reconnect: true, autoPipelining: true });
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5000) return;
    lastLogged = now;
    log(`neevscan: Redis at ${describeRedisTarget(target)} unreachable (${error.message}); retrying`);
  });
  return redis;
}

/**
 * The producer's connection (queues' adds, the notifier's scheduling): fails fast while Redis is away, so a webhook
 * gets 503 (and is redelivered) rather than waiting. Its errors are dropped: connectRedis reports outages.
 */
export function producerConnection(target: RedisTarget): RedisClient {
  const redis = open(target, { lazyConnect: false, offlineQueue: false, maxRetriesPerRequest: 1, reconnect: true });
  redis.on('error', () => {});
  return redis;
}

/** A connection for BullMQ's workers: `maxRetriesPerRequest: null` (blocking commands must not time out), queued while away. */
export function blockingConnection(target: RedisTarget): RedisClient {
  return open(target, { lazyConnect: false, offlineQueue: true, maxRetriesPerRequest: null, reconnect: true });
}

/** The CLI's connection: connected on demand, no reconnecting (a command that cannot reach Redis says so and exits). */
export function cliConnection(target: RedisTarget): RedisClient {
  return open(target, { lazyConnect: true, offlineQueue: true, maxRetriesPerRequest: 1, reconnect: false });
}

/** Waits until the connection is ready (for CLI commands, which need Redis before they can do anything). */
export async function waitReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error('Redis did not answer in time'));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
