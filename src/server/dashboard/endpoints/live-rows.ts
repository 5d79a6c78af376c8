import type { FastifyInstance } from 'fastify';
import { parseAlertQuery } from '../../alert-params.js';
import type { DashboardContext } from '../context.js';
import { PAGE_SIZE, listParams, toQuery } from '../forms.js';
import { alertRows } from '../list-page.js';

/** GET /ui/rows: the live list, the first page's rows and the counts, polled by /assets/dashboard.js. */
export function register(scope: FastifyInstance, { signedIn, review, ownerNames }: DashboardContext): void {
  scope.get<{ Querystring: Record<string, string> }>('/ui/rows', { preHandler: signedIn }, async (request) => {
    const params = listParams(request.query);
    const filter = parseAlertQuery(toQuery({ ...params, cursor: undefined }));
    const [found, counts] = await Promise.all([review.alerts.list({ ...filter, limit: PAGE_SIZE }), review.alerts.count(filter)]);
    return { counts, rows: alertRows(found.alerts, await ownerNames(found.alerts), params.state) };
  });
}
