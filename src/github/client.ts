/** Octokit clients for the service: one per App installation (tokens cached until expiry), throttled and retried. */
import { createAppAuth } from '@octokit/auth-app';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { appJwtSigner } from './app-jwt.js';
import { GitHubRestingError } from './github-wait.js';
import { httpFetch } from './http-fetch.js';
import { parseJsonAnswersHere } from './json-answers.js';
import { readPrivateKey } from './private-key.js';
import { pacingLimiters } from './pacing.js';
import { retryFailedRequests } from './retry-failed.js';

export { readPrivateKey } from './private-key.js';

export type Log = (message: string) => void;

/** The Octokit the pipeline uses: REST methods plus pagination. */
export type GitHubClient = Octokit;

export interface ClientTuning {
  /** Where warnings go (rate limits, retries). Default: stderr. */
  log?: Log;
  /**
   * Retries on a primary or secondary rate limit before the request fails.
   * @defaultValue 3
   */
  rateLimitRetries?: number;
  /**
   * Milliseconds per second of `retry-after` / reset wait, and per unit of plugin-retry's backoff; tests set 1.
   * @defaultValue 1000
   */
  retryAfterBaseValue?: number;
  /**
   * Longest rate-limit wait honoured, in seconds; a later reset fails the request (the job is retried by its queue).
   * @defaultValue 900
   */
  maxRateLimitWaitSeconds?: number;
}

export interface AppClientOptions extends ClientTuning {
  /** GITHUB_API_URL: api.github.com, a GHES `/api/v3` URL, or the test stand-in. */
  apiUrl: string;
  appId: number | string;
  /** PEM text (PKCS#1 or PKCS#8) or a path to a PEM file. */
  privateKey: string;
}

export interface AppClient {
  /** An installation-authenticated client; the same object for the same id, so its token cache is reused. */
  forInstallation(installationId: number): GitHubClient;
}

// Rate limits (throttling reads 403/429); 5xx retries wrap it (src/github/retry-failed.ts, registered in build).
const ServiceOctokit = Octokit.plugin(throttling);

/** How many installation clients are kept; beyond it the least recently used is dropped (and its token with it). */
const MAX_CACHED_INSTALLATIONS = 1000;

export function createAppClient(options: AppClientOptions): AppClient {
  // Every installation's auth signs with one cached App JWT (src/github/app-jwt.ts), not one per token request.
  const createJwt = appJwtSigner(readPrivateKey(options.privateKey));
  const appId = Number(options.appId);
  const clients = new Map<number, GitHubClient>();
  return {
    forInstallation(installationId) {
      let client = clients.get(installationId);
      if (client) clients.delete(installationId);
      else
        client = build(
          options,
          { authStrategy: createAppAuth, auth: { appId, createJwt, installationId } },
          `installation ${installationId}`,
          { restTogether: true },
        );
      clients.set(installationId, client);
      if (clients.size > MAX_CACHED_INSTALLATIONS) clients.delete(clients.keys().next().value!);
      return client;
    },
  };
}

export interface TokenClientOptions extends ClientTuning {
  apiUrl: string;
  /** A personal access token or installation token (GITHUB_TOKEN for the events poller). */
  token: string;
  /** How log lines name this client ("token 2" of GITHUB_TOKENS), never the token itself. @defaultValue 'token' */
  label?: string;
}

export function createTokenClient(options: TokenClientOptions): GitHubClient {
  return build(options, { auth: options.token }, options.label ?? 'token');
}

type RequestOptions = Parameters<Octokit['request']['endpoint']['parse']>[0] & { method: string };

/** GitHub's codes that no retry of the same request fixes; 429 is plugin-throttling's (it honours retry-after), never plugin-retry's (which does not). */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/**
 * `restTogether`: when GitHub says wait (a secondary limit's retry-after, a spent budget's reset), every request of
 * the client waits, not only the refused one; GitHub counts requests sent while limited against the App and may ban
 * it. The installation clients do; token clients leave it to their TokenPool, which moves work to another token.
 */
function build(
  tuning: ClientTuning & { apiUrl: string },
  auth: Record<string, unknown>,
  who: string,
  options: { restTogether?: boolean } = {},
): GitHubClient {
  const log = tuning.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const retries = tuning.rateLimitRetries ?? 3;
  const maxWait = tuning.maxRateLimitWaitSeconds ?? 900;
  const base = tuning.retryAfterBaseValue ?? 1000;
  let restUntil = 0;
  const onLimit =
    (kind: string) => (retryAfter: number, request: RequestOptions, octokit: { request: Octokit['request'] }, retryCount: number) => {
      restUntil = Math.max(restUntil, Date.now() + retryAfter * base);
      const retrying = retryCount < retries && retryAfter <= maxWait;
      const path = new URL(octokit.request.endpoint.parse(request).url).pathname;
      log(
        `github: ${kind} rate limit on ${request.method} ${path} (${who}); ${retrying ? `retry ${retryCount + 1} of ${retries} in ${retryAfter} s` : 'giving up'}`,
      );
      return retrying;
    };
  const quiet = () => {};
  // Right before a request goes on the wire (after the throttle's queues and auth), a short rest is waited out.
  const restThenFetch: typeof fetch = async (input, init) => {
    const wait = restUntil - Date.now();
    if (wait > 0 && wait <= maxWait * base) await new Promise((resolve) => setTimeout(resolve, wait));
    return httpFetch(input, init);
  };
  const client = new ServiceOctokit({
    ...auth,
    baseUrl: tuning.apiUrl.replace(/\/+$/, ''),
    userAgent: 'neevscan',
    // Failed requests reach the caller as errors; octokit's own line for each (a 404 we expect, say) is noise.
    log: { debug: quiet, info: quiet, warn: (m: string) => log(`github: ${m}`), error: quiet },
    // plugin-throttling paces requests per `id` (default "no-id": one limiter for the whole process, one write a second
    // for every installation together). GitHub limits each installation's token on its own, so each gets its own limiter.
    // Its limiters are src/github/pacing.ts's, the same limits without Bottleneck's promise hops and timers (~0.3 ms
    // a request); the plugin reads them from these options (not all are in its types, hence `object`).
    throttle: {
      id: who,
      retryAfterBaseValue: base,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      ...(pacingLimiters() as object),
    },
    // node:http keep-alive rather than the global fetch: the same requests for about 1 ms less CPU each (src/github/http-fetch.ts).
    request: { fetch: options.restTogether ? restThenFetch : httpFetch },
  });
  // plugin-retry's policy without its limiter per request (about 0.1 ms of CPU a request); around the throttle, as it was.
  retryFailedRequests(client, { retryAfterBaseValue: base, doNotRetry: DO_NOT_RETRY });
  if (options.restTogether) {
    // A rest longer than a request may hang: nothing is sent, and the job is put off until then (src/pipeline/queue-worker.ts).
    // Registered last, so it runs first: before the throttle's queues and before auth asks for a token.
    client.hook.before('request', async () => {
      if (restUntil - Date.now() > maxWait * base) throw new GitHubRestingError(restUntil, who);
    });
  }
  // Outermost: the hot routes' answers parsed with JSON.parse instead of Octokit's json-with-bigint (json-answers.ts).
  parseJsonAnswersHere(client);
  return client;
}
