import type { FastifyInstance } from 'fastify';
import { tokenDigest } from '../../../stores/api-tokens.js';
import { ApiError } from '../../errors.js';
import type { DashboardContext } from '../context.js';
import { form, html, safeNext } from '../forms.js';
import { loginPage } from '../login-page.js';
import { crossSiteReason } from '../request-guard.js';

/** POST /login: an API token (security or admin scope) for a session cookie; rate-limited per client address. */
export function register(scope: FastifyInstance, { config, tokens, sessions, cookieName, secure }: DashboardContext): void {
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
      void reply.setCookie(cookieName(request), sid, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secure(request),
        maxAge: config.sessionMaxSeconds,
      });
      return reply.redirect(next, 303);
    },
  );
}
