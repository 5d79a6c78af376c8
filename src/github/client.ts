/** Octokit clients for the service: one per App installation (tokens cached until expiry), throttled and retried. */
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { readPrivateKey } from './private-key.js';

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

// Rate limits first (throttling reads 403/429), then 5xx retries.
const ServiceOctokit = Octokit.plugin(throttling, retry);

/** How many installation clients are kept; beyond it the least recently used is dropped (and its token with it). */
const MAX_CACHED_INSTALLATIONS = 1000;

export function createAppClient(options: AppClientOptions): AppClient {
  const privateKey = readPrivateKey(options.privateKey);
  const appId = Number(options.appId);
  const clients = new Map<number, GitHubClient>();
  return {
    forInstallation(installationId) {
      let client = clients.get(installationId);
      if (client) clients.delete(installationId);
      else client = build(options, { authStrategy: createAppAuth, auth: { appId, privateKey, installationId } }, `installation ${installationId}`);
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

function build(tuning: ClientTuning & { apiUrl: string }, auth: Record<string, unknown>, who: string): GitHubClient {
  const log = tuning.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const retries = tuning.rateLimitRetries ?? 3;
  const maxWait = tuning.maxRateLimitWaitSeconds ?? 900;
  const base = tuning.retryAfterBaseValue ?? 1000;
  const onLimit = (kind: string) => (retryAfter: number, request: RequestOptions, octokit: { request: Octokit['request'] }, retryCount: number) => {
    const retrying = retryCount < retries && retryAfter <= maxWait;
    const path = new URL(octokit.request.endpoint.parse(request).url).pathname;
    log(`github: ${kind} rate limit on ${request.method} ${path} (${who}); ${retrying ? `retry ${retryCount + 1} of ${retries} in ${retryAfter} s` : 'giving up'}`);
    return retrying;
  };
  const quiet = () => {};
  return new ServiceOctokit({
    ...auth,
    baseUrl: tuning.apiUrl.replace(/\/+$/, ''),
    userAgent: 'neevscan',
    // Failed requests reach the caller as errors; octokit's own line for each (a 404 we expect, say) is noise.
    log: { debug: quiet, info: quiet, warn: (m: string) => log(`github: ${m}`), error: quiet },
    // plugin-throttling paces requests per `id` (default "no-id": one limiter for the whole process, one write a second
    // for every installation together). GitHub limits each installation's token on its own, so each gets its own limiter.
    throttle: { id: who, retryAfterBaseValue: base, onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    retry: { retryAfterBaseValue: base },
  });
}
