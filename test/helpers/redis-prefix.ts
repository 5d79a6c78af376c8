import type { Redis } from 'ioredis';
import { afterAll, onTestFinished } from 'vitest';
import { REDIS_URL, deletePrefix, freshPrefix, testRedis } from './redis.js';

/**
 * A Redis client and a fresh key prefix for the calling test file (or describe block), the prefix's keys deleted and
 * the client closed after its last test. Called where the file's hooks are declared.
 */
export function redisPrefixForFile(): { redis: Redis; prefix: string } {
  const handle = { redis: testRedis(), prefix: freshPrefix() };
  afterAll(async () => {
    await deletePrefix(handle.redis, handle.prefix);
    handle.redis.disconnect();
  });
  return handle;
}

/** The environment of a CLI run straight against Redis under a fresh prefix, deleted when the calling test ends. */
export function cliRedisEnv(): { REDIS_URL: string; NEEVSCAN_REDIS_PREFIX: string } {
  const prefix = freshPrefix();
  onTestFinished(async () => {
    const redis = testRedis();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });
  return { REDIS_URL, NEEVSCAN_REDIS_PREFIX: prefix };
}
