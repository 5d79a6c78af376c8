import type { FastifyInstance } from 'fastify';
import { exportFileName, exportStream } from '../../alert-export.js';
import { parseAlertQuery } from '../../alert-params.js';
import type { DashboardContext } from '../context.js';
import { listParams, toQuery } from '../forms.js';

/** GET /export.csv and /export.json: every alert the list's filters match, as a download. */
export function register(scope: FastifyInstance, { signedIn, review }: DashboardContext): void {
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
}
