/** When GitHub has told us to wait: for an installation client's requests, and for the jobs that made them. */
import { rateLimitedUntil } from './token-pool.js';

/**
 * A request not sent because GitHub asked its installation to wait longer
 * than a request may hang (a spent budget whose reset is far off, a long
 * retry-after). The job that made it is put off until `until` rather than
 * failed or retried sooner (src/pipeline/queue-worker.ts).
 */
export class GitHubRestingError extends Error {
  constructor(
    /** When GitHub lets requests go again, ms since the epoch. */
    readonly until: number,
    who: string,
  ) {
    super(`GitHub asked ${who} to wait until ${new Date(until).toISOString()} (rate limit); not sent`);
    this.name = 'GitHubRestingError';
  }
}

interface HttpFailure {
  status?: unknown;
  response?: { headers?: Record<string, string | number | undefined> };
}

/**
 * GitHub asks for retries *after* the reset time, and the installation's client (plugin-throttling) rests until one
 * to two seconds past it (whole seconds, plus one). A job put off comes back after that second too, so that it does
 * not find its client still resting and get put off again.
 */
const AFTER_GITHUB_TIME_MS = 1000;

/**
 * When the work that failed with `error` may go to GitHub again: from a
 * GitHubRestingError, or a GitHub answer that is a rate limit (403/429 with
 * retry-after, or x-ratelimit-remaining 0 and its reset), one second past the time GitHub gave. Null for any other
 * failure.
 */
export function gitHubWaitUntil(error: unknown, now = Date.now()): number | null {
  if (error instanceof GitHubRestingError) return error.until;
  const failure = error as HttpFailure | null;
  if (typeof failure?.status !== 'number' || !failure.response?.headers) return null;
  const until = rateLimitedUntil(failure.status, failure.response.headers, now);
  return until === null ? null : until + AFTER_GITHUB_TIME_MS;
}
