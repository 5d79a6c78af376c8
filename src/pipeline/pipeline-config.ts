import { positiveInt, wholeNumber, type EnvSection } from '../core/env-section.js';
import { DEFAULT_JOB_LOCK_MS } from './job-locks.js';

/** The variables the pipeline's section reads (docs/configuration.md). */
export const PIPELINE_ENV = [
  'REVOKE_POLICY',
  'REPORT_REVOKE_POLICY',
  'NEEVSCAN_PUSH_CONCURRENCY',
  'NEEVSCAN_JOB_LOCK_MS',
  'PUBLIC_EVENTS_MAX_AGE_SECONDS',
  'NEEVSCAN_REVOCATION_CHECK_ATTEMPTS',
  'NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS',
  'NEEVSCAN_CI_LOG_MAX_BYTES',
  'NEEVSCAN_REDIS_WAIT_REPLICAS',
  'NEEVSCAN_REDIS_WAIT_TIMEOUT_MS',
] as const;

export interface PipelineConfig {
  revokePolicy: 'public' | 'all' | 'off';
  /** REPORT_REVOKE_POLICY: what a live key reported to POST /api/v1/public/report gets (`revoke`, or `alert-only`); REVOKE_POLICY=off still wins. */
  reportRevokePolicy: 'revoke' | 'alert-only';
  /** NEEVSCAN_PUSH_CONCURRENCY: push jobs one process runs at once (each mostly waits on GitHub and Redis). */
  pushConcurrency: number;
  /**
   * NEEVSCAN_JOB_LOCK_MS: how long a worker's lock on a job lasts unless renewed (it renews every quarter of that, and
   * workers look for jobs whose lock lapsed every third of it). A job held by a worker that died (SIGKILL, OOM, lost
   * host) runs again within 4/3 of these: 8 s with the default 6 s. A live worker keeps its jobs unless its event
   * loop stalls for three quarters of it (src/pipeline/job-locks.ts).
   */
  jobLockMs: number;
  /** PUBLIC_EVENTS_MAX_AGE_SECONDS: public-event jobs the poller queued longer ago than this are dropped (counted), so a spent budget or a slow worker cannot grow the backlog without bound. */
  publicEventsMaxAgeSeconds: number;
  /**
   * NEEVSCAN_REVOCATION_CHECK_ATTEMPTS, NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS: how often, and from what first delay
   * (doubling), a revocation is checked again while the revoked key still authenticates (src/pipeline/revocation-check.ts).
   */
  revocationCheck: { attempts: number; backoffMs: number };
  /** NEEVSCAN_CI_LOG_MAX_BYTES: the largest GitHub Actions logs archive (zip) downloaded; a larger one is reported not scanned. */
  ciLogMaxBytes: number;
  /**
   * NEEVSCAN_REDIS_WAIT_REPLICAS, NEEVSCAN_REDIS_WAIT_TIMEOUT_MS: before the webhook receiver and the public report
   * endpoint answer 202, WAIT for this many replicas of the queue's master to hold the jobs just added, at most this
   * long (src/pipeline/replica-confirm.ts). 0 replicas (the default): no WAIT, as on a single node without replicas.
   */
  redisWait: { replicas: number; timeoutMs: number };
}

export function readPipelineConfig(env: EnvSection<typeof PIPELINE_ENV>): PipelineConfig {
  return {
    revokePolicy: revokePolicy(env.REVOKE_POLICY),
    reportRevokePolicy: reportRevokePolicy(env.REPORT_REVOKE_POLICY),
    pushConcurrency: positiveInt(env.NEEVSCAN_PUSH_CONCURRENCY, 32, 'NEEVSCAN_PUSH_CONCURRENCY'),
    jobLockMs: positiveInt(env.NEEVSCAN_JOB_LOCK_MS, DEFAULT_JOB_LOCK_MS, 'NEEVSCAN_JOB_LOCK_MS'),
    publicEventsMaxAgeSeconds: positiveInt(env.PUBLIC_EVENTS_MAX_AGE_SECONDS, 900, 'PUBLIC_EVENTS_MAX_AGE_SECONDS'),
    revocationCheck: {
      attempts: positiveInt(env.NEEVSCAN_REVOCATION_CHECK_ATTEMPTS, 8, 'NEEVSCAN_REVOCATION_CHECK_ATTEMPTS'),
      backoffMs: positiveInt(env.NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS, 2000, 'NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS'),
    },
    ciLogMaxBytes: positiveInt(env.NEEVSCAN_CI_LOG_MAX_BYTES, 256 * 1024 * 1024, 'NEEVSCAN_CI_LOG_MAX_BYTES'),
    redisWait: {
      replicas: wholeNumber(env.NEEVSCAN_REDIS_WAIT_REPLICAS, 0, 'NEEVSCAN_REDIS_WAIT_REPLICAS'),
      timeoutMs: positiveInt(env.NEEVSCAN_REDIS_WAIT_TIMEOUT_MS, 100, 'NEEVSCAN_REDIS_WAIT_TIMEOUT_MS'),
    },
  };
}

function revokePolicy(value: string | undefined): PipelineConfig['revokePolicy'] {
  if (value === undefined || value === '') return 'public';
  if (value === 'public' || value === 'all' || value === 'off') return value;
  throw new Error(`REVOKE_POLICY must be public, all or off, not "${value}"`);
}

function reportRevokePolicy(value: string | undefined): PipelineConfig['reportRevokePolicy'] {
  if (value === undefined || value === '') return 'revoke';
  if (value === 'revoke' || value === 'alert-only') return value;
  throw new Error(`REPORT_REVOKE_POLICY must be revoke or alert-only, not "${value}"`);
}
