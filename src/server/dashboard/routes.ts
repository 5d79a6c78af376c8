import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from '../../stores/redis.js';
import RE2 from 're2';
import { tokenDigest, type ApiTokens } from '../../stores/api-tokens.js';
import { RESOLUTIONS, type Actor, type Alert, type AlertResolution } from '../../stores/alert-store.js';
import { STORE_UNAVAILABLE_HTTP, StoreUnavailableError } from '../../core/errors.js';
import { exportFileName, exportStream } from '../alert-export.js';
import { checkAssignee, checkComment, parseAlertQuery, type AlertQuery } from '../alert-params.js';
import type { AlertReview } from '../alert-review.js';
import { ApiError } from '../errors.js';
import type { DashboardConfig } from './dashboard-config.js';
import { detailPage } from './detail-page.js';
import { errorPage } from './html.js';
import { alertRows, listPage, type ListParams } from './list-page.js';
import { loginPage } from './login-page.js';
import { crossSiteReason, csrfMatches } from './request-guard.js';
import { SessionStore, type Session } from './sessions.js';

export interface DashboardDeps {
  review: AlertReview;
  tokens: ApiTokens;
  /** For sessions and the sign-in rate limit (shared by every process of the service). */
  redis: RedisClient;
  redisPrefix: string;
  config: DashboardConfig;
}

interface SignedIn {
  sid: string;
  session: Session;
}

declare module 'fastify' {
  interface FastifyRequest {
    dashboard?: SignedIn;
  }
}

const ASSETS = new URL('../../../public/', import.meta.url);
const PAGE_SIZE = 50;
// RE2: paths and form fields are anyone's input.
const ALERT_ID = new RE2('^alt_[0-9A-Za-z]{16}$');
const DATE = new RE2('^\\d{4}-\\d{2}-\\d{2}$');
const OWNER_NAME_TTL_MS = 60_000;

/** Strict: scripts and styles from /assets only (no inline code at all), forms to ourselves, never framed. */
const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/**
 * The alert review dashboard: server-rendered pages at `/`, one small script
 * for live updates, no framework and no build step. Sign-in takes an API token
 * (security or admin scope) once and answers with a session cookie (httpOnly,
 * SameSite=Strict); every form carries the session's CSRF token and must come
 * from the dashboard's own origin. Security headers by @fastify/helmet; sign-in
 * attempts rate-limited per client address in Redis (@fastify/rate-limit).
 */
export function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const { review, tokens, config } = deps;
  const sessions = new SessionStore(deps.redis, deps.redisPrefix, { idleSeconds: config.sessionIdleSeconds, maxSeconds: config.sessionMaxSeconds });
  // Secure as configured, else (`auto`) when the request came over https: directly, or by a trusted proxy's X-Forwarded-Proto.
  const secure = (request: FastifyRequest) => (config.secureCookie === 'auto' ? request.protocol === 'https' : config.secureCookie);
  // `__Host-`: the browser then insists on Secure, Path=/ and no Domain, so no sibling host can set it.
  const cookieName = (request: FastifyRequest) => (secure(request) ? '__Host-neevscan_session' : 'neevscan_session');
  // A Map, not an object: `/assets/constructor` or `/assets/__proto__` must find nothing rather than Object's own members.
  const assets = new Map([
    ['dashboard.css', { type: 'text/css; charset=utf-8', body: readFileSync(new URL('dashboard.css', ASSETS), 'utf8') }],
    ['dashboard.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('dashboard.js', ASSETS), 'utf8') }],
    ['favicon.svg', { type: 'image/svg+xml', body: readFileSync(new URL('favicon.svg', ASSETS), 'utf8') }],
  ]);
  const ownerNames = ownerNameCache(review);

  void app.register(async (scope) => {
    await scope.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: CSP },
      strictTransportSecurity: config.secureCookie === true ? { maxAge: 180 * 86_400 } : false,
      // same-origin, not no-referrer: with no-referrer, browsers send `Origin: null` on form posts, which the CSRF check refuses.
      referrerPolicy: { policy: 'same-origin' },
    });
    await scope.register(cookie);
    await scope.register(rateLimit, {
      global: false,
      redis: deps.redis,
      nameSpace: `${deps.redisPrefix}{rl}:dashboard:`,
      errorResponseBuilder: (_request, context) => new ApiError(429, 'rate_limited', `Too many sign-in attempts from your address; try again in ${context.after}.`),
    });
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 32 * 1024 }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    // Pages show who leaked what: never cached, by the browser or anything between.
    scope.addHook('onSend', async (_request, reply, payload) => {
      if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
      return payload;
    });
    scope.setErrorHandler((error: FastifyError | Error, request, reply) => {
      const { status, code, message } = classify(error);
      if (status >= 500) request.log.warn({ err: { message: error.message } }, 'dashboard error');
      if (request.url.startsWith('/ui/')) return reply.code(status).send({ error: { code, message } });
      if (request.url.startsWith('/login')) return html(reply.code(status), loginPage({ error: message }));
      return html(reply.code(status), errorPage(status, message, request.dashboard?.session ?? null));
    });

    /** The session behind the cookie, if it and its token are still good (a deleted token ends its sessions). */
    const currentSession = async (request: FastifyRequest): Promise<SignedIn | null> => {
      const sid = request.cookies[cookieName(request)];
      const session = await sessions.get(sid);
      if (!sid || !session) return null;
      const token = await tokens.verifyDigest(session.tokenDigest);
      if (!token || (token.scope !== 'security' && token.scope !== 'admin')) {
        await sessions.destroy(sid);
        return null;
      }
      return { sid, session: { ...session, name: token.name, scope: token.scope } };
    };
    const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
      const found = await currentSession(request);
      if (found) {
        request.dashboard = found;
        return;
      }
      if (request.url.startsWith('/ui/')) throw new ApiError(401, 'signed_out', 'sign in again');
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
    };
    /** Every state-changing request: from our own pages (origin), by a live session, with its CSRF token. */
    const checkedPost = async (request: FastifyRequest, reply: FastifyReply) => {
      const why = crossSiteReason(request, config.publicOrigin);
      if (why) throw new ApiError(403, 'cross_site', `Refused: ${why}. Use the dashboard's own pages.`);
      const found = await currentSession(request);
      if (!found) return reply.redirect('/login', 303);
      if (!csrfMatches(form(request)._csrf, found.session.csrf)) {
        throw new ApiError(403, 'csrf', "Refused: the form's CSRF token is missing or wrong. Reload the page and try again.");
      }
      request.dashboard = found;
    };
    const actor = (request: FastifyRequest): Actor => ({ id: request.dashboard!.session.tokenId, name: request.dashboard!.session.name });

    scope.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
      const asset = assets.get(request.params.name);
      if (!asset) throw new ApiError(404, 'not_found', 'no such file');
      return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
    });

    scope.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
      if (await currentSession(request)) return reply.redirect('/', 303);
      return html(reply, loginPage({ next: safeNext(request.query.next) }));
    });

    scope.post(
      '/login',
      { config: { rateLimit: { max: config.loginRateLimit.max, timeWindow: config.loginRateLimit.windowSeconds * 1000 } } },
      async (request, reply) => {
        const why = crossSiteReason(request, config.publicOrigin);
        if (why) throw new ApiError(403, 'cross_site', `Refused: ${why}.`);
        const body = form(request);
        const next = safeNext(body.next);
        const token = (body.token ?? '').trim();
        const record = token && token.length <= 200 ? await tokens.verify(token) : null;
        if (!record) return html(reply.code(401), loginPage({ next, error: 'That token was not accepted.' }));
        if (record.scope !== 'security' && record.scope !== 'admin') {
          return html(reply.code(403), loginPage({ next, error: 'That token cannot review alerts: it needs the security or admin scope.' }));
        }
        const previous = request.cookies[cookieName(request)];
        if (previous) await sessions.destroy(previous);
        const { sid } = await sessions.create(record, tokenDigest(token));
        void reply.setCookie(cookieName(request), sid, { path: '/', httpOnly: true, sameSite: 'strict', secure: secure(request), maxAge: config.sessionMaxSeconds });
        return reply.redirect(next, 303);
      },
    );

    scope.post('/logout', { preHandler: checkedPost }, async (request, reply) => {
      await sessions.destroy(request.dashboard!.sid);
      void reply.clearCookie(cookieName(request), { path: '/', httpOnly: true, sameSite: 'strict', secure: secure(request) });
      return reply.redirect('/login', 303);
    });

    scope.get<{ Querystring: Record<string, string> }>('/', { preHandler: signedIn }, async (request, reply) => {
      const params = listParams(request.query);
      let filter: ReturnType<typeof parseAlertQuery>;
      let error: string | undefined;
      try {
        filter = parseAlertQuery(toQuery(params));
      } catch (problem) {
        if (!(problem instanceof ApiError)) throw problem;
        error = `Filter not used: ${problem.message}`;
        filter = params.state ? { state: params.state as 'open' | 'resolved' } : {};
      }
      const [found, counts] = await Promise.all([review.alerts.list({ ...filter, limit: PAGE_SIZE }), review.alerts.count(filter)]);
      const names = await ownerNames(found.alerts);
      return html(reply, listPage({ session: request.dashboard!.session, params, alerts: found.alerts, nextCursor: found.nextCursor, counts, ownerNames: names, pollSeconds: config.pollSeconds, error }));
    });

    // The live list: the first page's rows and the counts, polled by /assets/dashboard.js.
    scope.get<{ Querystring: Record<string, string> }>('/ui/rows', { preHandler: signedIn }, async (request) => {
      const params = listParams(request.query);
      const filter = parseAlertQuery(toQuery({ ...params, cursor: undefined }));
      const [found, counts] = await Promise.all([review.alerts.list({ ...filter, limit: PAGE_SIZE }), review.alerts.count(filter)]);
      return { counts, rows: alertRows(found.alerts, await ownerNames(found.alerts), params.state) };
    });

    for (const format of ['csv', 'json'] as const) {
      scope.get<{ Querystring: Record<string, string> }>(`/export.${format}`, { preHandler: signedIn }, async (request, reply) => {
        const { cursor: _cursor, limit: _limit, ...filter } = parseAlertQuery(toQuery({ ...listParams(request.query), cursor: undefined }));
        const stream = await exportStream(review.alerts, review.keyStore, filter, format);
        return reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="${exportFileName(format)}"`)
          .send(stream);
      });
    }

    scope.get<{ Params: { id: string }; Querystring: { done?: string } }>('/alerts/:id', { preHandler: signedIn }, async (request, reply) => {
      const detail = await review.detail(alertId(request.params.id));
      return html(reply, detailPage({ session: request.dashboard!.session, detail, done: request.query.done, now: Date.now() }));
    });

    /** A form action: done → back to the alert with what happened; refused (400, 409) → the alert again, saying why. */
    const action = (name: string, run: (id: string, body: Record<string, string>, who: Actor) => Promise<string>) =>
      scope.post<{ Params: { id: string } }>(`/alerts/:id/${name}`, { preHandler: checkedPost }, async (request, reply) => {
        const id = alertId(request.params.id);
        try {
          const done = await run(id, form(request), actor(request));
          return reply.redirect(`/alerts/${id}?done=${done}`, 303);
        } catch (error) {
          if (!(error instanceof ApiError) || error.statusCode === 404 || error.statusCode >= 500) throw error;
          const detail = await review.detail(id);
          return html(reply.code(error.statusCode), detailPage({ session: request.dashboard!.session, detail, error: error.message, now: Date.now() }));
        }
      });

    action('resolve', async (id, body, who) => {
      const resolution = body.resolution as AlertResolution;
      if (!RESOLUTIONS.includes(resolution)) throw new ApiError(400, 'bad_request', `choose a resolution: ${RESOLUTIONS.join(', ')}`);
      await review.resolve(id, { resolution, comment: checkComment(body.comment) }, who);
      return 'resolved';
    });
    action('reopen', async (id, body, who) => {
      await review.reopen(id, { comment: checkComment(body.comment) }, who);
      return 'reopened';
    });
    action('assign', async (id, body, who) => {
      const assignee = body.assignee?.trim() ? checkAssignee(body.assignee) : null;
      const after: Alert = await review.assign(id, { assignee, comment: checkComment(body.comment) }, who);
      return after.assignee ? 'assigned' : 'unassigned';
    });
    action('comment', async (id, body, who) => {
      const comment = checkComment(body.comment);
      if (!comment) throw new ApiError(400, 'bad_request', 'write a comment first');
      await review.comment(id, comment, who);
      return 'commented';
    });
    action('revoke-key', async (id, body, who) => {
      await review.revokeKey(id, { comment: checkComment(body.comment) }, who);
      return 'key_revoked';
    });
  });
}

function html(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(body);
}

/** The parsed form, or nothing for a request that sent none. */
function form(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) ? (body as Record<string, string>) : {};
}

const LOCAL = 'http://neevscan.invalid';
// Control characters anywhere (browsers drop tab and newline from URLs, so `/\t/evil.example` is `//evil.example`;
// a newline in Location is also a header Node refuses) and backslashes (browsers read `\` as `/`).
const UNSAFE_NEXT = new RE2('[\\u0000-\\u001f\\u007f\\\\]');

/**
 * Where to go after sign-in: a path on this site only, so the form is no open
 * redirect. The path is resolved as a browser would and must stay on our
 * origin; what is answered is its serialized (percent-encoded) form, so the
 * Location header never holds a byte Node refuses. Anything else: `/`.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2000 || UNSAFE_NEXT.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, LOCAL);
  } catch {
    return '/';
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (url.origin !== LOCAL || path.startsWith('//')) return '/';
  return path;
}

function alertId(id: string): string {
  if (!ALERT_ID.test(id)) throw new ApiError(404, 'not_found', `no alert ${id}`);
  return id;
}

/** The dashboard's query: an absent state means open (the working queue); `state=` means every state. */
function listParams(raw: Record<string, string | undefined>): ListParams {
  const pick = (name: string) => (typeof raw[name] === 'string' && raw[name]!.trim() !== '' ? raw[name]!.trim().slice(0, 200) : undefined);
  return {
    state: raw.state === undefined ? 'open' : (pick('state') ?? ''),
    repo: pick('repo'),
    ownerId: pick('ownerId'),
    source: pick('source'),
    assignee: pick('assignee'),
    since: pick('since'),
    until: pick('until'),
    cursor: pick('cursor'),
  };
}

/** Form dates as the API's times: `until` is a day included, so the filter ends the next midnight. */
function toQuery(params: ListParams): AlertQuery {
  let until = params.until;
  if (until && DATE.test(until)) {
    const next = new Date(`${until}T00:00:00Z`);
    if (!Number.isNaN(next.getTime())) until = new Date(next.getTime() + 86_400_000).toISOString();
  }
  return { ...params, until, limit: undefined };
}

function classify(error: FastifyError | Error): { status: number; code: string; message: string } {
  if (error instanceof ApiError) return { status: error.statusCode, code: error.code, message: error.message };
  // The sign-in rate limit talks to Redis itself: its connection errors are an outage too, not a bug.
  if (error instanceof StoreUnavailableError || isRedisDown(error)) return { status: STORE_UNAVAILABLE_HTTP.status, code: STORE_UNAVAILABLE_HTTP.code, message: 'The store is unavailable right now; retry shortly.' };
  const fe = error as FastifyError;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, code: 'bad_request', message: fe.message };
  return { status: 500, code: 'internal', message: 'Internal error.' };
}

function isRedisDown(error: Error): boolean {
  return error.name === 'MaxRetriesPerRequestError' || error.message.includes('enableOfflineQueue') || error.message.includes('Connection is closed');
}

/** Owner names for a page of alerts, each owner asked of the key store at most once a minute; the id when it cannot answer. */
function ownerNameCache(review: AlertReview): (alerts: Alert[]) => Promise<Map<string, string>> {
  const cache = new Map<string, { name: string; at: number }>();
  return async (alerts) => {
    const now = Date.now();
    const ids = [...new Set(alerts.map((a) => a.ownerId))];
    await Promise.all(
      ids.map(async (id) => {
        const hit = cache.get(id);
        if (hit && now - hit.at < OWNER_NAME_TTL_MS) return;
        const owner = await review.keyStore.getOwner(id).catch(() => null);
        if (owner) cache.set(id, { name: owner.name, at: now });
      }),
    );
    if (cache.size > 10_000) cache.clear();
    return new Map(ids.map((id) => [id, cache.get(id)?.name ?? id]));
  };
}
