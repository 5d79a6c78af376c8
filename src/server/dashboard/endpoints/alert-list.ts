import type { FastifyInstance } from 'fastify';
import { parseAlertQuery } from '../../alert-params.js';
import { ApiError } from '../../errors.js';
import type { DashboardContext } from '../context.js';
import { PAGE_SIZE, html, listParams, toQuery } from '../forms.js';
import { listPage } from '../list-page.js';

/** GET /: the alert list, filtered; a filter that does not parse is shown as an error and left out. */
export function register(scope: FastifyInstance, { signedIn, review, ownerNames, config }: DashboardContext): void {
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
    return html(
      reply,
      listPage({
        session: request.dashboard!.session,
        params,
        alerts: found.alerts,
        nextCursor: found.nextCursor,
        counts,
        ownerNames: names,
        pollSeconds: config.pollSeconds,
        error,
      }),
    );
  });
}
