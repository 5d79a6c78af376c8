import type { Job } from 'bullmq';
import type { RedisClient } from '../stores/redis.js';
import type { Config } from '../config.js';
import type { Log } from '../github/client.js';
import { htmlOrigin } from '../github/html-url.js';
import { BudgetSpentError, TokenClients } from '../github/token-clients.js';
import type { GitHubClient } from '../github/client.js';
import { deferredWork, skippedWork } from '../metrics/public-events-metrics.js';
import type { CompiledRule } from '../rules/types.js';
import { BlobMemo } from '../stores/blob-memo.js';
import { PushMemo } from '../stores/push-memo.js';
import { buildExposureDeps, rulesVersion } from './deps.js';
import type { HandleExposureDeps } from './handle-exposure.js';
import { putOff } from './queue-worker.js';

/** What the public-events workers need: GitHub through the tokens, the scan memos, and confirm → revoke → alert. */
export interface PublicEventsDeps extends HandleExposureDeps {
  github: TokenClients;
  rules: readonly CompiledRule[];
  /** Blobs scanned anywhere (forks share them): repositories made public, and pushed blobs GitHub sends without a patch. */
  blobMemo: BlobMemo;
  /** Pushes scanned anywhere, by head: a fork pushing the same commits is not fetched again. */
  pushMemo: PushMemo;
  /** Web origin for links to files (https://github.com, or a GHES host). */
  htmlOrigin: string;
  /** Jobs the poller queued longer ago than this are dropped, counted as `stale`. */
  maxAgeSeconds: number;
  log: Log;
}

/**
 * Requests each token keeps back from the workers, so that when the budget
 * runs low the poller can still read the feed (and count what it misses).
 */
const POLLER_RESERVE = 100;

export function buildPublicEventsDeps(
  config: Config,
  redis: RedisClient,
  rules: readonly CompiledRule[],
  log: Log,
  notify?: (alertId: string) => Promise<void>,
): PublicEventsDeps {
  const version = rulesVersion(rules);
  return {
    ...buildExposureDeps(config, redis, notify),
    github: new TokenClients({ apiUrl: config.github.apiUrl, tokens: config.github.tokens, log, reserve: POLLER_RESERVE }),
    rules,
    blobMemo: new BlobMemo(redis, config.redisPrefix, version),
    pushMemo: new PushMemo(redis, config.redisPrefix, version),
    htmlOrigin: htmlOrigin(config.github.apiUrl),
    maxAgeSeconds: config.publicEventsMaxAgeSeconds,
    log,
  };
}

export type Skipped = { outcome: 'skipped'; reason: 'stale' | 'rate_limit' | 'private' };
export type Deferred = { outcome: 'deferred'; until: number };

let spentUntilLogged = 0;

/**
 * Runs `work` with a token that has budget, under the age bound: a job the
 * poller queued more than maxAgeSeconds ago is dropped (`stale`); when every
 * token is spent, the job waits for the reset if that comes within the bound
 * (`deferred`), else it is dropped (`rate_limit`). Either way the backlog
 * cannot grow past what arrives in maxAgeSeconds.
 */
export async function withBudget<T>(
  receivedAt: string,
  deps: PublicEventsDeps,
  work: (client: GitHubClient) => Promise<T>,
): Promise<T | Skipped | Deferred> {
  const since = Date.parse(receivedAt);
  const bound = deps.maxAgeSeconds * 1000;
  if (Date.now() - since > bound) return { outcome: 'skipped', reason: 'stale' };
  try {
    return await deps.github.run(work);
  } catch (error) {
    if (!(error instanceof BudgetSpentError)) throw error;
    if (error.resetAt !== spentUntilLogged) {
      spentUntilLogged = error.resetAt ?? 0;
      deps.log(
        `neevscan: public events: ${error.message}; jobs are put off until then when that is within PUBLIC_EVENTS_MAX_AGE_SECONDS, else skipped (counted)`,
      );
    }
    if (error.resetAt !== null && error.resetAt - since <= bound) return { outcome: 'deferred', until: error.resetAt };
    return { outcome: 'skipped', reason: 'rate_limit' };
  }
}

/** Counts what withBudget decided (the job's processor moves a deferred job itself). */
export function countOutcome(queue: string, result: { outcome: string; reason?: string }): void {
  if (result.outcome === 'skipped' && result.reason) skippedWork().inc({ reason: result.reason });
  if (result.outcome === 'deferred') deferredWork().inc({ queue });
}

/** Counts a job's outcome; a deferred job is put off until its token's window resets. */
export async function settle<T, R extends { outcome: string; reason?: string; until?: number }>(
  job: Job<T, R>,
  token: string | undefined,
  queue: string,
  result: R,
): Promise<R> {
  countOutcome(queue, result);
  if (result.outcome === 'deferred' && result.until !== undefined) throw await putOff(job, token, result.until);
  return result;
}

export function isSettled<T extends object>(result: T | Skipped | Deferred): result is Skipped | Deferred {
  const outcome = (result as { outcome?: unknown }).outcome;
  return outcome === 'skipped' || outcome === 'deferred';
}
