import type { RedisClient } from '../stores/redis.js';
import type { Config } from '../config.js';
import { createAppClient } from '../github/client.js';
import { createHash } from 'node:crypto';
import type { CompiledRule } from '../rules/types.js';
import { BlobMemo } from '../stores/blob-memo.js';
import { AlertStore } from '../stores/alert-store.js';
import { HttpKeyStore } from '../stores/http-key-store.js';
import { RedisKeyStore } from '../stores/redis-key-store.js';
import type { HandleExposureDeps } from './handle-exposure.js';
import type { AppClient } from '../github/client.js';
import type { KeyStore } from '../stores/key-store.js';
import type { RevokePolicy } from '../core/exposure.js';
import type { CheckRunJob } from './check-run-queue.js';
import { DeliveryState } from '../notify/delivery-state.js';
import { smtpMailer } from '../notify/mailer.js';
import type { NotifierDeps } from '../notify/notifier.js';
import { safePost } from '../notify/safe-webhook.js';

/**
 * What the jobs worked through the GitHub App need (push, wiki, repo-scan; check-run uses a part): the App client,
 * the rules, confirm → revoke → alert, and the scan memo.
 */
export interface AppJobDeps {
  github: AppClient;
  rules: readonly CompiledRule[];
  keyStore: KeyStore;
  alerts: AlertStore;
  policy: RevokePolicy;
  redis: RedisClient;
  redisPrefix: string;
  /** Scanned blobs shared across pushes, repositories and forks. */
  blobMemo?: BlobMemo;
  /** Enqueues the owner's notification for an alert. */
  notify?: (alertId: string) => Promise<void>;
  /** Enqueues the proof of a revocation (handleExposure's verifyRevocation). */
  verifyRevocation?: HandleExposureDeps['verifyRevocation'];
  /** GITHUB_API_URL: where git URLs (wikis) may send an installation token. */
  githubApiUrl?: string;
  /** Hands the check run to its own queue (off the revoke path); without it the push job reports it itself. */
  enqueueCheckRun?: (job: CheckRunJob) => Promise<void>;
  /** Where a scan that could not read everything says so. */
  log?: (message: string) => void;
}

/** What confirm → revoke → alert needs: the key store, the alert store and the policy. No GitHub App required. */
export function buildExposureDeps(config: Config, redis: RedisClient, notify?: (alertId: string) => Promise<void>): HandleExposureDeps {
  const keyStore = config.externalKeyStore
    ? new HttpKeyStore(config.externalKeyStore.url, config.externalKeyStore.token)
    : new RedisKeyStore(redis, config.redisPrefix, config.defaultRateLimit);
  return { keyStore, alerts: new AlertStore(redis, config.redisPrefix), policy: config.revokePolicy, notify };
}

/**
 * What the App's jobs need, from the configuration; undefined (with the
 * reason) when the GitHub App is not configured, since pushes cannot be fetched.
 */
export function buildAppJobDeps(
  config: Config,
  redis: RedisClient,
  rules: readonly CompiledRule[],
  log: (message: string) => void,
  notify?: (alertId: string) => Promise<void>,
): AppJobDeps | { missing: string } {
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
  return createHash('sha256')
    .update(JSON.stringify(rules.map((r) => r.spec)))
    .digest('hex')
    .slice(0, 12);
}

/** The notifier's dependencies from the configuration: the pipeline's key store, the alert store, mail when SMTP_URL is set. */
export function buildNotifierDeps(config: Config, redis: RedisClient, log: (message: string) => void): NotifierDeps {
  const { notify } = config;
  if (!notify.smtpUrl && notify.securityTeamEmail)
    log('neevscan: SECURITY_TEAM_EMAIL is set but SMTP_URL is not: mail is off, the security team gets no mail');
  return {
    alerts: new AlertStore(redis, config.redisPrefix),
    keyStore: buildExposureDeps(config, redis).keyStore,
    state: new DeliveryState(redis, config.redisPrefix),
    policy: config.revokePolicy,
    mailer: notify.smtpUrl ? smtpMailer(notify.smtpUrl, notify.mailFrom) : null,
    post: safePost,
    allowPrivateWebhooks: config.allowPrivateWebhooks,
    securityTeamEmail: notify.securityTeamEmail,
    securityTeamSlackWebhook: notify.securityTeamSlackWebhook,
    keysUrl: notify.keysUrl,
    log,
  };
}
