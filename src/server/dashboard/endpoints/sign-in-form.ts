import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { html, safeNext } from '../forms.js';
import { loginPage } from '../login-page.js';

/** GET /login: the sign-in form (straight on to the list for a live session). */
export function register(scope: FastifyInstance, { currentSession }: DashboardContext): void {
  scope.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
    if (await currentSession(request)) return reply.redirect('/', 303);
    return html(reply, loginPage({ next: safeNext(request.query.next) }));
  });
}
