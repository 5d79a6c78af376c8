/**
 * Retries a GitHub request that failed with a status no retry is refused for (5xx, a lost connection Octokit reports
 * as 500), as @octokit/plugin-retry does, without its cost: the plugin builds a Bottleneck limiter for every request
 * (a queue, its events and timers) to run one try and maybe a few more; here the tries are a loop. The same policy:
 * `retries` retries after the first try, the n-th waited n² × `retryAfterBaseValue` ms, a status in `doNotRetry`
 * thrown at once; a request may set its own `request.retries`.
 */
import type { Octokit } from '@octokit/rest';

export interface RetryPolicy {
  /** @defaultValue 3 */
  retries?: number;
  /** Milliseconds per unit of the n² backoff. @defaultValue 1000 */
  retryAfterBaseValue?: number;
  /** Statuses that no retry of the same request fixes (rate limits are the throttle's). */
  doNotRetry: readonly number[];
}

interface RequestFailure {
  status?: unknown;
  request?: unknown;
}

/** Registers the retries as a wrap of `request`: call it after the plugins, so that it wraps the throttle as plugin-retry did. */
export function retryFailedRequests(octokit: Pick<Octokit, 'hook'>, policy: RetryPolicy): void {
  const base = policy.retryAfterBaseValue ?? 1000;
  octokit.hook.wrap('request', async (request, options) => {
    for (let retry = 1; ; retry++) {
      try {
        return await request(options);
      } catch (error) {
        const perRequest = options.request as { retries?: number; retryCount?: number } | undefined;
        if (!retryable(error, policy.doNotRetry) || retry > (perRequest?.retries ?? policy.retries ?? 3)) throw error;
        // As plugin-retry: which retry this is, on the request's own options.
        if (perRequest) perRequest.retryCount = retry;
        await new Promise((resolve) => setTimeout(resolve, retry * retry * base));
      }
    }
  });
}

/** An answer from GitHub (or Octokit's stand-in for a lost connection) with an error status worth another try. */
function retryable(error: unknown, doNotRetry: readonly number[]): boolean {
  const failure = error as RequestFailure | null;
  if (failure === null || typeof failure !== 'object' || failure.request === undefined) return false;
  return typeof failure.status === 'number' && failure.status >= 400 && !doNotRetry.includes(failure.status);
}
