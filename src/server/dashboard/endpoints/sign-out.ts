import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';

/** POST /logout: ends the session and clears its cookie. */
export function register(scope: FastifyInstance, { checkedPost, sessions, cookieName, secure }: DashboardContext): void {
  scope.post('/logout', { preHandler: checkedPost }, async (request, reply) => {
    await sessions.destroy(request.dashboard!.sid);
    void reply.clearCookie(cookieName(request), { path: '/', httpOnly: true, sameSite: 'strict', secure: secure(request) });
    return reply.redirect('/login', 303);
  });
}
