import { isIP } from 'node:net';
import { DEFAULT_JOB_LOCK_MS } from './pipeline/job-locks.js';
import { readNotifyConfig, type NotifyConfig } from './notify/notify-config.js';
import { readDashboardConfig, type DashboardConfig } from './server/dashboard/dashboard-config.js';

/**
 * The service's configuration, read once from the environment (docs/configuration.md). Injectable: tests pass their own `env`.
 */
export interface Config {
  redisUrl: string;
  /** Prefix of every Redis key the service writes (tests use a fresh one each). */
  redisPrefix: string;
  host: string;
  port: number;
  adminToken: string | undefined;
  allowPrivateWebhooks: boolean;
  /** Default per-key rate limit: requests per window. */
  defaultRateLimit: { requests: number; windowSeconds: number };
  /** NEEVSCAN_AUTH_FAILURE_LIMIT, `failures/seconds`: wrong bearer tokens one client address may present per window before 429. */
  authFailureLimit: { max: number; windowSeconds: number };
  /**
   * NEEVSCAN_TRUST_PROXY: the reverse proxy whose X-Forwarded-For and X-Forwarded-Proto are believed, as a number of
   * hops or a comma-separated list of its addresses and CIDR ranges. Unset: none (the socket's address, plain http).
   */
  trustProxy: false | number | string[];
  /** Largest JSON body the API accepts, in bytes. */
  apiBodyLimit: number;
  github: {
    apiUrl: string;
    appId: string | undefined;
    /** PEM text, or a path to a PEM file. */
    privateKey: string | undefined;
    /** Webhook secrets: the first signs nothing, all verify (rotation: add the new one, then drop the old). */
    webhookSecrets: string[];
    /** GITHUB_TOKEN: a token for calls made without the App (the events poller; the partner endpoint's key fetch, for GitHub's higher rate limit). */
    token: string | undefined;
    /** GITHUB_TOKEN and GITHUB_TOKENS (comma-separated) merged, duplicates dropped: the public-events poller's and its workers' shared rate-limit budget. */
    tokens: string[];
  };
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
  /** An external key store (docs/KEY_STORE_API.md) for the pipeline; unset: this project's Redis store. */
  externalKeyStore: { url: string; token: string } | undefined;
  /** Owner and security-team notifications: mail, timing, retries (src/notify/notify-config.ts). */
  notify: NotifyConfig;
  /** The alert review dashboard: its public origin, session cookie and lifetime, sign-in rate limit (src/server/dashboard/dashboard-config.ts). */
  dashboard: DashboardConfig;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new Error(`${name} must be a positive whole number, not "${value}"`);
  return Number(value);
}

function revokePolicy(value: string | undefined): Config['revokePolicy'] {
  if (value === undefined || value === '') return 'public';
  if (value === 'public' || value === 'all' || value === 'off') return value;
  throw new Error(`REVOKE_POLICY must be public, all or off, not "${value}"`);
}

function reportRevokePolicy(value: string | undefined): Config['reportRevokePolicy'] {
  if (value === undefined || value === '') return 'revoke';
  if (value === 'revoke' || value === 'alert-only') return value;
  throw new Error(`REPORT_REVOKE_POLICY must be revoke or alert-only, not "${value}"`);
}

/** NEEVSCAN_TRUST_PROXY: a hop count, or addresses and CIDR ranges (never "everything": anyone could then claim any address). */
function trustProxy(value: string | undefined): Config['trustProxy'] {
  if (value === undefined || value.trim() === '') return false;
  if (/^\d+$/.test(value.trim())) return positiveInt(value.trim(), 1, 'NEEVSCAN_TRUST_PROXY');
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits))) {
      throw new Error(`NEEVSCAN_TRUST_PROXY must be a number of proxy hops or a comma-separated list of proxy addresses and CIDR ranges, not "${value}"`);
    }
  }
  return entries;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const [requests, window] = (env.NEEVSCAN_DEFAULT_RATE_LIMIT ?? '600/60').split('/');
  const [failures, failureWindow] = (env.NEEVSCAN_AUTH_FAILURE_LIMIT || '20/300').split('/');
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    redisPrefix: env.NEEVSCAN_REDIS_PREFIX || 'neevscan:',
    host: env.HOST || '127.0.0.1',
    port: positiveInt(env.PORT, 3000, 'PORT'),
    adminToken: env.NEEVSCAN_ADMIN_TOKEN || undefined,
    allowPrivateWebhooks: env.NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS === '1',
    defaultRateLimit: {
      requests: positiveInt(requests, 600, 'NEEVSCAN_DEFAULT_RATE_LIMIT requests'),
      windowSeconds: positiveInt(window, 60, 'NEEVSCAN_DEFAULT_RATE_LIMIT window'),
    },
    authFailureLimit: {
      max: positiveInt(failures, 20, 'NEEVSCAN_AUTH_FAILURE_LIMIT failures'),
      windowSeconds: positiveInt(failureWindow, 300, 'NEEVSCAN_AUTH_FAILURE_LIMIT seconds'),
    },
    trustProxy: trustProxy(env.NEEVSCAN_TRUST_PROXY),
    apiBodyLimit: positiveInt(env.NEEVSCAN_API_BODY_LIMIT, 64 * 1024, 'NEEVSCAN_API_BODY_LIMIT'),
    github: {
      apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
      appId: env.GITHUB_APP_ID || undefined,
      privateKey: env.GITHUB_APP_PRIVATE_KEY || undefined,
      webhookSecrets: (env.GITHUB_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      token: env.GITHUB_TOKEN || undefined,
      tokens: [...new Set([env.GITHUB_TOKEN ?? '', ...(env.GITHUB_TOKENS ?? '').split(',')].map((t) => t.trim()).filter(Boolean))],
    },
    revokePolicy: revokePolicy(env.REVOKE_POLICY),
    reportRevokePolicy: reportRevokePolicy(env.REPORT_REVOKE_POLICY),
    pushConcurrency: positiveInt(env.NEEVSCAN_PUSH_CONCURRENCY, 32, 'NEEVSCAN_PUSH_CONCURRENCY'),
    jobLockMs: positiveInt(env.NEEVSCAN_JOB_LOCK_MS, DEFAULT_JOB_LOCK_MS, 'NEEVSCAN_JOB_LOCK_MS'),
    publicEventsMaxAgeSeconds: positiveInt(env.PUBLIC_EVENTS_MAX_AGE_SECONDS, 900, 'PUBLIC_EVENTS_MAX_AGE_SECONDS'),
    revocationCheck: {
      attempts: positiveInt(env.NEEVSCAN_REVOCATION_CHECK_ATTEMPTS, 8, 'NEEVSCAN_REVOCATION_CHECK_ATTEMPTS'),
      backoffMs: positiveInt(env.NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS, 2000, 'NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS'),
    },
    externalKeyStore: env.NEEVSCAN_KEYSTORE_URL ? { url: env.NEEVSCAN_KEYSTORE_URL, token: env.NEEVSCAN_KEYSTORE_TOKEN ?? '' } : undefined,
    notify: readNotifyConfig(env),
    dashboard: readDashboardConfig(env),
  };
}
