import type { EnvSection } from '../core/env-section.js';

/** The variables the stores' section reads (docs/configuration.md). */
export const STORE_ENV = ['REDIS_URL', 'NEEVSCAN_REDIS_PREFIX', 'NEEVSCAN_KEYSTORE_URL', 'NEEVSCAN_KEYSTORE_TOKEN'] as const;

export interface StoreConfig {
  redisUrl: string;
  /** Prefix of every Redis key the service writes (tests use a fresh one each). */
  redisPrefix: string;
  /** An external key store (docs/KEY_STORE_API.md) for the pipeline; unset: this project's Redis store. */
  externalKeyStore: { url: string; token: string } | undefined;
}

export function readStoreConfig(env: EnvSection<typeof STORE_ENV>): StoreConfig {
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    redisPrefix: env.NEEVSCAN_REDIS_PREFIX || 'neevscan:',
    externalKeyStore: env.NEEVSCAN_KEYSTORE_URL ? { url: env.NEEVSCAN_KEYSTORE_URL, token: env.NEEVSCAN_KEYSTORE_TOKEN ?? '' } : undefined,
  };
}
