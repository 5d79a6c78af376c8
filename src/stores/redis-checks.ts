import type { RedisClient } from './redis.js';

/**
 * Warns when Redis may evict keys under memory pressure: an evicted queue job
 * is a lost finding, an evicted key record a key that stops working. BullMQ
 * and the key store need `maxmemory-policy noeviction`.
 */
export async function warnIfEvicting(redis: RedisClient, log: (message: string) => void): Promise<void> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy && policy !== 'noeviction') {
      log(
        `neevscan: Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure Redis may drop queued work and key records`,
      );
    }
  } catch {
    // CONFIG may be disabled (managed Redis); nothing to check then.
  }
}
