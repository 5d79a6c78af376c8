import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis.js';

/**
 * WAIT on the master that holds `key`'s slot, on the very connection this client writes that slot through.
 *
 * WAIT counts the replicas that acknowledged the writes made on its own connection, so it has to go down the
 * connection the writes went down, to the master that took them. On a single node that is the client itself. A
 * cluster client sends a keyless command such as WAIT to a random node, so it is routed by hand, with what ioredis
 * exposes publicly: `slots` (slot → node keys `host:port`, master first, as CLUSTER SLOTS gave them) and
 * `nodes('master')` (the connections of its pool, the ones its routed commands use). The key's slot is asked of the
 * cluster once (CLUSTER KEYSLOT; ioredis computes slots internally but exports no function for it) and kept: a key's
 * slot never changes, only the master serving it.
 *
 * Resolves to the replicas that acknowledged (WAIT's answer), or null when no connection to the slot's master is
 * known (the cluster client not ready, or its slot map being refreshed after a failover).
 */
export class ReplicaWait {
  private readonly slots = new Map<string, number>();

  constructor(private readonly redis: RedisClient) {}

  async wait(key: string, replicas: number, timeoutMs: number): Promise<number | null> {
    const connection = await this.connectionFor(key);
    if (!connection) return null;
    return Number(await connection.call('WAIT', String(replicas), String(timeoutMs)));
  }

  /** The connection this client writes `key`'s slot through: the client itself on a single node, the slot master's in a cluster. */
  async connectionFor(key: string): Promise<Redis | null> {
    const redis = this.redis;
    if (!(redis instanceof Cluster)) return redis;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      this.slots.set(key, slot);
    }
    const master = redis.slots[slot]?.[0];
    if (!master) return null;
    return redis.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === master) ?? null;
  }
}
