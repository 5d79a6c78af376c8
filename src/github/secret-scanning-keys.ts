/**
 * The public keys GitHub signs Secret Scanning partner alerts with, fetched
 * from `GET {GITHUB_API_URL}/meta/public_keys/secret_scanning` and cached, and
 * the check of one alert's signature against them. A key is only ever taken
 * from GitHub's answer, never from the request being checked.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** GitHub's key endpoint cannot be reached and the identifier is not cached: answer 503, GitHub retries. */
export class SecretScanningKeysUnavailableError extends Error {
  readonly code = 'github:keys-unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretScanningKeysUnavailableError';
  }
}

export type SignatureCheck = 'valid' | 'bad-signature' | 'unknown-key';

export interface SecretScanningKeysOptions {
  /** GITHUB_API_URL, without a trailing slash. */
  apiUrl: string;
  /** GITHUB_TOKEN: sent as a bearer token when set (GitHub's higher rate limit); unauthenticated otherwise. */
  token?: string;
  /**
   * Least time between two fetches caused by unknown identifiers, in ms: a flood of made-up
   * identifiers costs GitHub one request per interval, and misses in between share it.
   * @defaultValue 60_000
   */
  refetchIntervalMs?: number;
  /**
   * Least time between fetches after a failed one, in ms (GitHub down: answer 503 at once, try again soon).
   * @defaultValue 5_000
   */
  retryAfterFailureMs?: number;
  /**
   * Age after which the cached set is refreshed in the background, in ms, so a key GitHub retires stops verifying.
   * @defaultValue 3_600_000
   */
  maxAgeMs?: number;
  /** @defaultValue 5_000 */
  timeoutMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

/** Identifiers are GitHub's hex SHA-256s; anything longer is not worth a lookup. */
const MAX_IDENTIFIER_LENGTH = 256;

export class SecretScanningKeys {
  private keys = new Map<string, KeyObject>();
  private fetchedAt: number | null = null;
  private lastRefetchAt = -Infinity;
  private failedAt = -Infinity;
  private inflight: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: SecretScanningKeysOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Checks `signature` (base64 DER ECDSA P-256 / SHA-256) over the raw body
   * with the key GitHub publishes under `identifier`. Throws
   * SecretScanningKeysUnavailableError when the key cannot be known now.
   */
  async check(body: Buffer, identifier: string, signature: string): Promise<SignatureCheck> {
    const key = await this.keyFor(identifier);
    if (!key) return 'unknown-key';
    const der = Buffer.from(signature, 'base64');
    if (der.length === 0) return 'bad-signature';
    try {
      return verify('sha256', body, { key, dsaEncoding: 'der' }, der) ? 'valid' : 'bad-signature';
    } catch {
      // A signature that is not DER at all.
      return 'bad-signature';
    }
  }

  /** The key with this identifier, or null when GitHub does not publish one (after at most one rate-limited refetch). */
  async keyFor(identifier: string): Promise<KeyObject | null> {
    if (identifier.length === 0 || identifier.length > MAX_IDENTIFIER_LENGTH) return null;
    const now = this.now();
    const stale = this.fetchedAt !== null && now - this.fetchedAt > (this.options.maxAgeMs ?? 3_600_000);
    if (stale && !this.inflight && now - this.failedAt >= (this.options.retryAfterFailureMs ?? 5_000)) {
      void this.refresh().catch(() => {});
    }
    const cached = this.keys.get(identifier);
    if (cached) return cached;

    // A fetch already under way (the first one, or another miss's) may bring the key: wait for it.
    if (this.inflight) await this.inflight.catch(() => {});
    else if (this.mayFetch(now)) {
      if (this.fetchedAt !== null) this.lastRefetchAt = now;
      await this.refresh().catch(() => {});
    }
    const found = this.keys.get(identifier);
    if (found) return found;
    // We cannot tell an unknown identifier from one GitHub published while we could not ask: that is a retry, not a 401.
    if (this.fetchedAt === null || this.failedAt > this.fetchedAt) {
      throw new SecretScanningKeysUnavailableError(`GitHub's secret scanning keys could not be fetched from ${this.url()}`);
    }
    return null;
  }

  private mayFetch(now: number): boolean {
    if (now - this.failedAt < (this.options.retryAfterFailureMs ?? 5_000)) return false;
    if (this.fetchedAt === null || this.failedAt > this.fetchedAt) return true;
    return now - this.lastRefetchAt >= (this.options.refetchIntervalMs ?? 60_000);
  }

  /** One fetch at a time; it replaces the cached set, so a key GitHub dropped stops verifying. */
  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys()
      .then((keys) => {
        this.keys = keys;
        this.fetchedAt = this.now();
      })
      .catch((error: unknown) => {
        this.failedAt = this.now();
        this.options.log?.(`github: secret scanning keys: ${(error as Error).message}`);
        throw error;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private async fetchKeys(): Promise<Map<string, KeyObject>> {
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'user-agent': 'neevscan',
      'x-github-api-version': '2022-11-28',
    };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const response = await fetch(this.url(), { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000) });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`GET ${this.url()} answered ${response.status}`);
    }
    const payload = (await response.json()) as { public_keys?: unknown };
    if (!Array.isArray(payload?.public_keys)) throw new Error(`GET ${this.url()}: no public_keys array`);
    const keys = new Map<string, KeyObject>();
    for (const entry of payload.public_keys as Array<{ key_identifier?: unknown; key?: unknown }>) {
      if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') continue;
      try {
        const key = createPublicKey(entry.key);
        // Only the curve GitHub documents; any other key could not have made a valid alert signature.
        if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(entry.key_identifier, key);
      } catch {
        /* an entry that is not a PEM public key is skipped, the others still count */
      }
    }
    return keys;
  }

  private url(): string {
    return `${this.options.apiUrl}/meta/public_keys/secret_scanning`;
  }
}
