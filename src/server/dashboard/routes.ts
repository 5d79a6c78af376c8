import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance } from 'fastify';
import { STORE_UNAVAILABLE_HTTP, StoreUnavailableError } from '../../core/errors.js';
import { ApiError } from '../errors.js';
import { dashboardContext, type DashboardDeps, type DashboardEndpoint } from './context.js';
import { register as alertActions } from './endpoints/alert-actions.js';
import { register as alertDetail } from './endpoints/alert-detail.js';
import { register as alertList } from './endpoints/alert-list.js';
import { register as assets } from './endpoints/assets.js';
import { register as exportAlerts } from './endpoints/export.js';
import { register as liveRows } from './endpoints/live-rows.js';
import { register as signInForm } from './endpoints/sign-in-form.js';
import { register as signIn } from './endpoints/sign-in.js';
import { register as signOut } from './endpoints/sign-out.js';
import { html } from './forms.js';
import { errorPage } from './html.js';
import { loginPage } from './login-page.js';

export type { DashboardDeps } from './context.js';

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

const ENDPOINTS: DashboardEndpoint[] = [assets, signInForm, signIn, signOut, alertList, liveRows, exportAlerts, alertDetail, alertActions];

/**
 * The alert review dashboard: server-rendered pages at `/`, one small script
 * for live updates, no framework and no build step. Sign-in takes an API token
 * (security or admin scope) once and answers with a session cookie (httpOnly,
 * SameSite=Strict); every form carries the session's CSRF token and must come
 * from the dashboard's own origin. Security headers by @fastify/helmet; sign-in
 * attempts rate-limited per client address in Redis (@fastify/rate-limit).
 * One module per endpoint under endpoints/.
 */
export function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const shared = dashboardContext(deps);
  void app.register(async (scope) => {
    await scope.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: CSP },
      strictTransportSecurity: deps.config.secureCookie === true ? { maxAge: 180 * 86_400 } : false,
      // same-origin, not no-referrer: with no-referrer, browsers send `Origin: null` on form posts, which the CSRF check refuses.
      referrerPolicy: { policy: 'same-origin' },
    });
    await scope.register(cookie);
    await scope.register(rateLimit, {
      global: false,
      redis: deps.redis,
      nameSpace: `${deps.redisPrefix}{rl}:dashboard:`,
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'rate_limited', `Too many sign-in attempts from your address; try again in ${context.after}.`),
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
    for (const register of ENDPOINTS) register(scope, shared);
  });
}

function classify(error: FastifyError | Error): { status: number; code: string; message: string } {
  if (error instanceof ApiError) return { status: error.statusCode, code: error.code, message: error.message };
  // The sign-in rate limit talks to Redis itself: its connection errors are an outage too, not a bug.
  if (error instanceof StoreUnavailableError || isRedisDown(error))
    return {
      status: STORE_UNAVAILABLE_HTTP.status,
      code: STORE_UNAVAILABLE_HTTP.code,
      message: 'The store is unavailable right now; retry shortly.',
    };
  const fe = error as FastifyError;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return { status: fe.statusCode, code: 'bad_request', message: fe.message };
  return { status: 500, code: 'internal', message: 'Internal error.' };
}

function isRedisDown(error: Error): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message.includes('enableOfflineQueue') ||
    error.message.includes('Connection is closed')
  );
}
