/**
 * A local GitHub REST API for tests: a real HTTP server on 127.0.0.1 that answers from real git
 * repositories, with GitHub's shapes, limits, auth and failures. See README.md beside this file.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { repoFor } from './access.js';
import { AppAuth, type AuthOptions, type IssuedToken } from './app-auth.js';
import { CheckRuns, type CheckRunRecord } from './check-runs.js';
import { getCommit, listCommits } from './commit-routes.js';
import { compare } from './compare.js';
import { DEFAULT_LIMITS, type Ctx, type Limits, type RepoCtx } from './context.js';
import { DEFAULT_PATCH_LIMITS } from './diff.js';
import { EventFeed, type EventInput, type GitHubEvent } from './events.js';
import { Faults, type DelayOptions, type FaultOptions, type SecondaryLimitOptions } from './faults.js';
import { getBlob, getGitCommit, getTree } from './git-data.js';
import { serveWiki } from './git-http.js';
import { HttpError, notFound, type Reply } from './http.js';
import type { SecretScanningPublicKey } from './keys.js';
import { RateLimiter, type RateLimitChange, type RateLimitOptions } from './rate-limit.js';
import { RepoRegistry, repoJson, type Repo, type RepoOptions } from './repos.js';
import { matchRoute, type Route } from './router.js';
import { RunLogStore, type RunLogs } from './run-logs.js';

export interface StandInOptions extends AuthOptions {
  /** Origin of html_url, blob_url and raw_url links. Default `https://github.com`. */
  htmlUrl?: string;
  limits?: Partial<Limits>;
  rateLimit?: RateLimitOptions;
  /** Seconds in `X-Poll-Interval` on /events. Default 60, as GitHub sends. */
  pollInterval?: number;
  secretScanningKeys?: SecretScanningPublicKey[];
}

export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  status: number;
  /** When the request arrived (ms since the epoch), before any delay: what a test of waits and retry-after reads. */
  at: number;
}

export interface GitHubStandIn {
  /** Base URL to give octokit as `baseUrl` (or the service as GITHUB_API_URL). */
  readonly url: string;
  addRepo(options: RepoOptions): Repo;
  /** Adds an event to the top of GET /events; missing id, created_at, actor, payload, public are filled in. */
  pushEvent(event: EventInput): GitHubEvent;
  /** What GET /repos/{owner}/{repo}/actions/runs/{runId}/logs serves: a zip of these entries (after a 302), or 404 / 410. */
  setRunLogs(owner: string, repo: string, runId: number, logs: RunLogs): void;
  /** The next `times` matching requests answer `status` (a 5xx). */
  fail(options: FaultOptions): void;
  /** The next `times` matching requests hit a secondary rate limit (403 or 429, with retry-after). */
  secondaryRateLimit(options: SecondaryLimitOptions): void;
  /** Changes the primary rate limit: `{ remaining: 0 }` exhausts it. */
  setRateLimit(change: RateLimitChange): void;
  /** Holds matching requests `ms` before answering them (a slow GitHub). */
  delay(options: DelayOptions): void;
  /** Ends every delay: later requests are answered at once. */
  endDelays(): void;
  readonly checkRuns: CheckRunRecord[];
  readonly requests: RecordedRequest[];
  readonly issuedTokens: IssuedToken[];
  /** Served by GET /meta/public_keys/secret_scanning; replace or push to rotate keys. */
  secretScanningKeys: SecretScanningPublicKey[];
  close(): Promise<void>;
}

export async function startGitHubStandIn(options: StandInOptions = {}): Promise<GitHubStandIn> {
  const repos = new RepoRegistry();
  const auth = new AppAuth(options, repos);
  const limiter = new RateLimiter(options.rateLimit);
  const faults = new Faults();
  const checkRuns = new CheckRuns();
  const events = new EventFeed(options.pollInterval ?? 60);
  const limits: Limits = { ...DEFAULT_PATCH_LIMITS, ...DEFAULT_LIMITS, ...options.limits };
  const requests: RecordedRequest[] = [];
  const runLogs = new RunLogStore();
  const state = { secretScanningKeys: options.secretScanningKeys ?? [] };

  const repoRoute = (method: string, pattern: string, handle: (ctx: RepoCtx) => Promise<Reply> | Reply): Route => ({
    method,
    pattern: `/repos/:owner/:repo${pattern}`,
    handle: (ctx) => handle({ ...ctx, repo: repoFor(ctx, repos, auth) }),
  });
  const routes: Route[] = [
    repoRoute('GET', '', (ctx) => ({ status: 200, body: repoJson(ctx.repo, ctx.urls) })),
    repoRoute('GET', '/compare/:basehead*', compare),
    repoRoute('GET', '/commits', listCommits),
    repoRoute('GET', '/commits/:ref*', getCommit),
    repoRoute('GET', '/git/blobs/:sha', getBlob),
    repoRoute('GET', '/git/trees/:sha*', getTree),
    repoRoute('GET', '/git/commits/:sha', getGitCommit),
    repoRoute('GET', '/actions/runs/:runId/logs', (ctx) => runLogs.redirect(ctx)),
    { method: 'GET', pattern: '/_archives/:token', handle: (ctx) => runLogs.archive(ctx.params.token!) },
    repoRoute('POST', '/check-runs', (ctx) => checkRuns.create(ctx)),
    repoRoute('PATCH', '/check-runs/:id', (ctx) => checkRuns.update(ctx)),
    { method: 'POST', pattern: '/app/installations/:installationId/access_tokens', handle: (ctx) => auth.createAccessToken(ctx) },
    { method: 'GET', pattern: '/events', handle: (ctx) => events.list(ctx) },
    {
      method: 'GET',
      pattern: '/meta/public_keys/secret_scanning',
      handle: () => ({ status: 200, body: { public_keys: state.secretScanningKeys } }),
    },
  ];

  let base = '';
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const requestId = `${randomBytes(2).toString('hex')}:${randomBytes(3).toString('hex')}:${randomBytes(4).toString('hex')}`.toUpperCase();
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    // Wikis are git repositories, read over git's smart HTTP protocol rather than the REST API.
    const wiki = await serveWiki(method, url, req.headers, raw, repos, auth);
    if (wiki) {
      requests.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: undefined,
        status: wiki.status,
        at,
      });
      res.writeHead(wiki.status, wiki.headers);
      return void res.end(wiki.body);
    }
    const hold = faults.holdFor(method, url.pathname);
    // A client that goes away while held (a killed worker) gets nothing, and costs the stand-in nothing more.
    if (hold > 0 && (await heldUntilGone(req, hold))) return;
    const credential = auth.identify(req.headers.authorization);
    const bucket = limiter.bucket(credential);
    let body: unknown;
    let reply: Reply;
    try {
      if (credential.kind === 'invalid') throw new HttpError(401, credential.message);
      const refusal = limiter.refusal(credential, bucket, req.socket.remoteAddress ?? '127.0.0.1');
      if (refusal) throw refusal;
      const fault = faults.take(method, url.pathname, requestId);
      if (fault) throw fault;
      body = parseJson(raw);
      const match = matchRoute(routes, method, url.pathname);
      if (!match) throw notFound();
      const ctx: Ctx = {
        method,
        url,
        params: match.params,
        headers: req.headers,
        body,
        urls: { api: base, html: options.htmlUrl ?? 'https://github.com' },
        credential,
        limits,
      };
      reply = await match.route.handle(ctx);
    } catch (error) {
      // A bug in the stand-in shows up as a 500 naming it, in the test that hit it.
      reply = error instanceof HttpError ? error.reply() : { status: 500, body: { message: `stand-in error: ${String(error)}` } };
    }
    // "If no new events have been triggered, you will see a 304 … and your current rate limit will be untouched."
    if (reply.status !== 304 && bucket.used < bucket.limit) bucket.used++;
    requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      status: reply.status,
      at,
    });
    send(res, reply, {
      'x-github-request-id': requestId,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      ...RateLimiter.headers(bucket),
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    addRepo: (o) => repos.add(o),
    pushEvent: (e) => events.push(e),
    setRunLogs: (owner, repo, runId, logs) => runLogs.set(owner, repo, runId, logs),
    fail: (f) => faults.fail(f),
    secondaryRateLimit: (o) => faults.secondaryRateLimit(o),
    setRateLimit: (c) => limiter.set(c),
    delay: (o) => faults.delay(o),
    endDelays: () => faults.endDelays(),
    checkRuns: checkRuns.all,
    requests,
    issuedTokens: auth.issued,
    get secretScanningKeys() {
      return state.secretScanningKeys;
    },
    set secretScanningKeys(keys) {
      state.secretScanningKeys = keys;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** Holds a request `ms`; true when its client closed the connection meanwhile. */
function heldUntilGone(req: IncomingMessage, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (req.socket.destroyed) return resolve(true);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve(req.socket.destroyed);
    }, ms);
    req.socket.once('close', onClose);
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Problems parsing JSON');
  }
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries({ ...headers, ...reply.headers })) res.setHeader(name, value);
  if (reply.status === 304 || reply.body === undefined) return void res.end();
  if (Buffer.isBuffer(reply.body)) return void res.end(reply.body);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(reply.body));
}

export type { Repo, RepoOptions } from './repos.js';
export type { CheckRunRecord } from './check-runs.js';
export type { RunLogs } from './run-logs.js';
export { writeZip } from './run-logs.js';
export type { GitHubEvent, EventInput } from './events.js';
export { makeRsaKeyPair, makeSecretScanningKey, signSecretScanningPayload } from './keys.js';
