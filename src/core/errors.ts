/**
 * The errors every part of the service shares, with their codes and HTTP
 * statuses in one place. This module imports nothing of the project.
 */

/** What the HTTP API answers when a store cannot answer now. */
export const STORE_UNAVAILABLE_HTTP = { status: 503, code: 'unavailable', retryAfterSeconds: 1 } as const;

/**
 * A store (Redis, or the key store over HTTP) that cannot answer now: retry
 * later. Never to be read as "no such key", "no such alert" or "not allowed".
 * Thrown by the key store, the alert store, the token and session stores, the
 * notifier's state and the authentication throttle; the API answers 503 with
 * Retry-After, a worker's job is retried.
 */
export class StoreUnavailableError extends Error {
  /** A stable string code, for logs and tests. */
  readonly code: string = 'store:unavailable';
  /** The HTTP status the API answers with. */
  readonly status: number = STORE_UNAVAILABLE_HTTP.status;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The key store in particular cannot answer now. Kept under its old name: the
 * key store's callers (and its tests) catch it; every other store throws the
 * base class, and `instanceof StoreUnavailableError` catches both.
 */
export class KeyStoreUnavailableError extends StoreUnavailableError {
  override readonly code: string = 'keystore:unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyStoreUnavailableError';
  }
}
