import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../context.js';
import { detailPage } from '../detail-page.js';
import { alertId, html } from '../forms.js';

/** GET /alerts/:id: one alert's page, with what the last action did (`done`). */
export function register(scope: FastifyInstance, { signedIn, review }: DashboardContext): void {
  scope.get<{ Params: { id: string }; Querystring: { done?: string } }>('/alerts/:id', { preHandler: signedIn }, async (request, reply) => {
    const detail = await review.detail(alertId(request.params.id));
    return html(reply, detailPage({ session: request.dashboard!.session, detail, done: request.query.done, now: Date.now() }));
  });
}
