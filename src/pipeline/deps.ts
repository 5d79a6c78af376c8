import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { createAppClient } from '../github/client.js';
import { createHash } from 'node:crypto';
import type { CompiledRule } from '../rules/types.js';
import { BlobMemo } from '../stores/blob-memo.js';
import { AlertStore } from '../stores/alert-store.js';
import { HttpKeyStore } from '../stores/http-key-store.js';
import { RedisKeyStore } from '../stores/redis-key-store.js';
import type { HandleExposureDeps } from './handle-exposure.js';
import type { PushDeps } from './process-push.js';

/** What confirm → revoke → alert needs: the key store, the alert store and the policy. No GitHub App required. */
export function buildExposureDeps(config: Config, redis: Redis, notify?: (alertId: string) => Promise<void>): HandleExposureDeps {
  const keyStore = config.externalKeyStore
    ? new HttpKeyStore(config.externalKeyStore.url, config.externalKeyStore.token)
    : new RedisKeyStore(redis, config.redisPrefix, config.defaultRateLimit);
  return { keyStore, alerts: new AlertStore(redis, config.redisPrefix), policy: config.revokePolicy, notify };
}

/**
 * What the push workers need, from the configuration; undefined (with the
 * reason) when the GitHub App is not configured, since pushes cannot be fetched.
 */
export function buildPushDeps(
  config: Config,
  redis: Redis,
  rules: readonly CompiledRule[],
  log: (message: string) => void,
  notify?: (alertId: string) => Promise<void>,
): PushDeps | { missing: string } {
  if (!config.github.appId || !config.github.privateKey) return { missing: 'GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are not set' };
  const { keyStore, alerts, policy } = buildExposureDeps(config, redis, notify);
  return {
    github: createAppClient({ apiUrl: config.github.apiUrl, appId: config.github.appId, privateKey: config.github.privateKey, log }),
    rules,
    keyStore,
    alerts,
    policy,
    redis,
    redisPrefix: config.redisPrefix,
    githubApiUrl: config.github.apiUrl,
    notify,
    blobMemo: new BlobMemo(redis, config.redisPrefix, rulesVersion(rules)),
    log,
  };
}

/** A short fingerprint of the rules: remembered blob findings are only reused under the same rules. */
export function rulesVersion(rules: readonly CompiledRule[]): string {
  return createHash('sha256').update(JSON.stringify(rules.map((r) => r.spec))).digest('hex').slice(0, 12);
}
