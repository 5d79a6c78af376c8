import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from '../../stores/redis.js';
import type { ApiTokens } from '../../stores/api-tokens.js';
import type { Actor, Alert } from '../../stores/alert-store.js';
import type { AlertReview } from '../alert-review.js';
import { ApiError } from '../errors.js';
import type { DashboardConfig } from './dashboard-config.js';
import { crossSiteReason, csrfMatches } from './request-guard.js';
import { SessionStore, type Session } from './sessions.js';
import { form } from './forms.js';

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

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** What every dashboard endpoint is given: the deps, the session store and the guards, made once for all of them. */
export interface DashboardContext {
  review: AlertReview;
  tokens: ApiTokens;
  config: DashboardConfig;
  sessions: SessionStore;
  /** Whether this request's session cookie is Secure. */
  secure: (request: FastifyRequest) => boolean;
  cookieName: (request: FastifyRequest) => string;
  ownerNames: (alerts: Alert[]) => Promise<Map<string, string>>;
  /** The session behind the cookie, if it and its token are still good (a deleted token ends its sessions). */
  currentSession: (request: FastifyRequest) => Promise<SignedIn | null>;
  /** Pages: a live session, or off to sign in (the live list's /ui/ calls: 401). */
  signedIn: Guard;
  /** Every state-changing request: from our own pages (origin), by a live session, with its CSRF token. */
  checkedPost: Guard;
  actor: (request: FastifyRequest) => Actor;
}

/** One dashboard endpoint (a module of endpoints/), registered in the dashboard's plugin scope. */
export type DashboardEndpoint = (scope: FastifyInstance, context: DashboardContext) => void;

const OWNER_NAME_TTL_MS = 60_000;

export function dashboardContext(deps: DashboardDeps): DashboardContext {
  const { review, tokens, config } = deps;
  const sessions = new SessionStore(deps.redis, deps.redisPrefix, {
    idleSeconds: config.sessionIdleSeconds,
    maxSeconds: config.sessionMaxSeconds,
  });
  // Secure as configured, else (`auto`) when the request came over https: directly, or by a trusted proxy's X-Forwarded-Proto.
  const secure = (request: FastifyRequest) => (config.secureCookie === 'auto' ? request.protocol === 'https' : config.secureCookie);
  // `__Host-`: the browser then insists on Secure, Path=/ and no Domain, so no sibling host can set it.
  const cookieName = (request: FastifyRequest) => (secure(request) ? '__Host-neevscan_session' : 'neevscan_session');
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
  return {
    review,
    tokens,
    config,
    sessions,
    secure,
    cookieName,
    ownerNames: ownerNameCache(review),
    currentSession,
    signedIn,
    checkedPost,
    actor,
  };
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
