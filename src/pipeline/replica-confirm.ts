import { queuePrefix } from '../core/queue-names.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import type { RedisClient } from '../stores/redis.js';
import { ReplicaWait } from '../stores/redis-wait.js';
import type { PipelineConfig } from './pipeline-config.js';

/**
 * NEEVSCAN_REDIS_WAIT_REPLICAS: what narrows the window in which a failover loses a job the receiver acknowledged.
 * Redis replicates asynchronously: a job added on a master and answered 202 is lost if the master dies before its
 * replica has it and the replica is promoted (docs/SCALING.md, "Failover and what can be lost"; GitHub does not
 * redeliver a delivery answered 202). After each queue's add, the receiver WAITs, on the connection the add went
 * down (WAIT counts the replicas that acknowledged that connection's writes), for `replicas` replicas of the master
 * holding the queue's slot, at most `timeoutMs`. Fewer in time (a replica down or lagging): a warning and
 * neevscan_redis_wait_total{outcome="short"}, and the answer is still 202: the job is on the master, and refusing it would
 * stop intake whenever a replica is away. While WAIT blocks, the shared producer connection's later commands queue
 * behind it on the server: with a replica down, each delivery costs other requests up to `timeoutMs`.
 *
 * Undefined (no WAIT) with 0 replicas asked, the default. The function resolves to whether the replicas confirmed.
 */
export function replicaConfirmation(
  producer: RedisClient,
  redisPrefix: string,
  { replicas, timeoutMs }: PipelineConfig['redisWait'],
  log: (message: string) => void,
): ((queue: string) => Promise<boolean>) | undefined {
  if (replicas === 0) return undefined;
  const replicaWait = new ReplicaWait(producer);
  let lastLogged = 0;
  return async (queue) => {
    // A key of the queue's slot: BullMQ keeps all of one queue's keys under its hash tag (core/queue-names.ts).
    const acknowledged = await replicaWait.wait(queuePrefix(redisPrefix, queue), replicas, timeoutMs).catch(() => null);
    const confirmed = acknowledged !== null && acknowledged >= replicas;
    pipelineMetrics.replicaWaits().inc({ queue, outcome: confirmed ? 'confirmed' : 'short' });
    if (confirmed) return true;
    const now = Date.now();
    if (now - lastLogged < 5000) return false;
    lastLogged = now;
    log(
      `neevscan: ${acknowledged ?? 'no'} of NEEVSCAN_REDIS_WAIT_REPLICAS=${replicas} replicas confirmed the ${queue} queue's new jobs within ` +
        `${timeoutMs} ms; answered anyway (the jobs are on the master; a failover now would lose them)`,
    );
    return false;
  };
}
