import type { FastifyInstance } from 'fastify';
import { exportFileName, exportStream } from '../../alert-export.js';
import { FILTER_PROPERTIES, parseAlertQuery, type AlertQuery } from '../../alert-params.js';
import { ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** GET /api/v1/alerts/export: every matching alert as a CSV or JSON download. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.get<{ Querystring: AlertQuery & { format?: 'csv' | 'json' } }>(
    '/api/v1/alerts/export',
    {
      onRequest: security,
      schema: {
        ...doc('Export every alert the filters match, as CSV or JSON (for reports)', {
          description:
            'CSV: one row per alert, every cell quoted; a cell that would start with = + - @ (a spreadsheet formula) starts with an apostrophe. JSON: `{ exportedAt, filter, alerts: [alert + ownerName], count, truncated }`. At most 100,000 alerts.',
        }),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...FILTER_PROPERTIES, format: { type: 'string', enum: ['csv', 'json'] } },
        },
        response: { 200: { description: 'text/csv or application/json, as a download', type: 'string' }, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { format = 'csv', ...query } = request.query;
      const { cursor: _cursor, limit: _limit, ...filter } = parseAlertQuery(query);
      const stream = await exportStream(review.alerts, review.keyStore, filter, format);
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${exportFileName(format)}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );
}
