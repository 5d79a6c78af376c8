import type { EnvSection } from '../core/env-section.js';
import { readRedisCluster, type RedisClusterTarget } from './redis-target.js';

/** The variables the stores' section reads (docs/configuration.md). */
export const STORE_ENV = [
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'REDIS_PASSWORD',
  'REDIS_USERNAME',
  'NEEVSCAN_REDIS_PREFIX',
  'NEEVSCAN_KEYSTORE_URL',
  'NEEVSCAN_KEYSTORE_TOKEN',
] as const;

export interface StoreConfig {
  redisUrl: string;
  /** REDIS_CLUSTER_NODES (or a redis+cluster:// REDIS_URL): Redis Cluster's seed nodes; unset: the one node at REDIS_URL. */
  redisCluster?: RedisClusterTarget;
  /** Prefix of every Redis key the service writes (tests use a fresh one each). */
  redisPrefix: string;
  /** An external key store (docs/KEY_STORE_API.md) for the pipeline; unset: this project's Redis store. */
  externalKeyStore: { url: string; token: string } | undefined;
}

export function readStoreConfig(env: EnvSection<typeof STORE_ENV>): StoreConfig {
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    redisCluster: readRedisCluster(env),
    redisPrefix: env.NEEVSCAN_REDIS_PREFIX || 'neevscan:',
    externalKeyStore: env.NEEVSCAN_KEYSTORE_URL ? { url: env.NEEVSCAN_KEYSTORE_URL, token: env.NEEVSCAN_KEYSTORE_TOKEN ?? '' } : undefined,
  };
}
