/** GitHub's primary rate limit: one budget per credential, x-ratelimit-* headers on every answer (docs: rate-limits-for-the-rest-api). */
import type { Credential } from './app-auth.js';
import { HttpError } from './http.js';

export interface RateLimitOptions {
  /** Requests an hour for a token or installation. GitHub: 5,000. */
  limit?: number;
  /** Requests an hour without a token. GitHub: 60. */
  anonymousLimit?: number;
  /** GitHub answers an exhausted budget with 403 or 429; default 403. */
  exceededStatus?: 403 | 429;
}

export interface RateLimitChange {
  /** Requests left now, in every budget and in those made later. */
  remaining?: number;
  /** Seconds until the window resets. */
  resetInSeconds?: number;
  exceededStatus?: 403 | 429;
}

interface Bucket {
  limit: number;
  used: number;
  /** When the window resets, in milliseconds: kept finer than the header's epoch second so that a reset "a second away" is
   * never already past when the next request lands in the following clock second. */
  resetAtMs: number;
}

const WINDOW_SECONDS = 3600;
const ANONYMOUS = 'anonymous';
const DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private remainingOverride: number | undefined;
  /** The reset a test set, in milliseconds. */
  private resetOverride: number | undefined;
  private exceededStatus: 403 | 429;

  constructor(private readonly options: RateLimitOptions = {}) {
    this.exceededStatus = options.exceededStatus ?? 403;
  }

  /** The budget a request spends, with the window rolled over when its reset time has passed. */
  bucket(credential: Credential): Bucket {
    const key = bucketKey(credential);
    const now = Date.now();
    let bucket = this.buckets.get(key);
    // Once the reset a test set has passed, a new window starts with a full budget, as on GitHub.
    if (this.resetOverride !== undefined && this.resetOverride <= now) {
      this.resetOverride = undefined;
      this.remainingOverride = undefined;
    }
    if (!bucket || bucket.resetAtMs <= now) {
      const limit = key === ANONYMOUS ? (this.options.anonymousLimit ?? 60) : (this.options.limit ?? 5000);
      bucket = { limit, used: 0, resetAtMs: now + WINDOW_SECONDS * 1000 };
      if (this.remainingOverride !== undefined) bucket.used = Math.max(0, limit - this.remainingOverride);
      if (this.resetOverride !== undefined) bucket.resetAtMs = this.resetOverride;
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  set(change: RateLimitChange): void {
    if (change.exceededStatus) this.exceededStatus = change.exceededStatus;
    if (change.resetInSeconds !== undefined) this.resetOverride = Date.now() + change.resetInSeconds * 1000;
    if (change.remaining !== undefined) this.remainingOverride = change.remaining;
    for (const bucket of this.buckets.values()) {
      if (change.remaining !== undefined) bucket.used = Math.max(0, bucket.limit - change.remaining);
      if (this.resetOverride !== undefined) bucket.resetAtMs = this.resetOverride;
    }
  }

  /** The refusal GitHub sends once a budget is spent, or null. */
  refusal(credential: Credential, bucket: Bucket, ip: string): HttpError | null {
    if (bucket.used < bucket.limit) return null;
    const who: Record<Credential['kind'], string> = {
      installation: `installation ID ${credential.kind === 'installation' ? credential.installationId : ''}`,
      app: `app ID ${credential.kind === 'app' ? credential.appId : ''}`,
      token: 'user ID 1',
      anonymous: ip,
      invalid: ip,
    };
    const tail =
      credential.kind === 'anonymous'
        ? " (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
        : '';
    return new HttpError(this.exceededStatus, `API rate limit exceeded for ${who[credential.kind]}.${tail}`, { documentation_url: DOCS });
  }

  static headers(bucket: Bucket): Record<string, string> {
    return {
      'x-ratelimit-limit': String(bucket.limit),
      'x-ratelimit-remaining': String(Math.max(0, bucket.limit - bucket.used)),
      'x-ratelimit-used': String(bucket.used),
      // GitHub gives the reset as an epoch second; rounding up never announces a reset before the budget refills.
      'x-ratelimit-reset': String(Math.ceil(bucket.resetAtMs / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }
}

function bucketKey(credential: Credential): string {
  switch (credential.kind) {
    case 'installation':
      return `installation:${credential.installationId}`;
    case 'app':
      return `app:${credential.appId}`;
    case 'token':
      return `token:${credential.token}`;
    default:
      // Bad credentials are counted like no credentials: against the caller's IP.
      return ANONYMOUS;
  }
}
