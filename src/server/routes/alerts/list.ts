import type { FastifyInstance } from 'fastify';
import { LIST_PROPERTIES, parseAlertQuery, type AlertQuery } from '../../alert-params.js';
import { ALERT_PAGE_SCHEMA } from '../../alert-schemas.js';
import { serializerCompiler, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** GET /api/v1/alerts: a filtered page of alerts, newest first. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.get<{ Querystring: AlertQuery }>(
    '/api/v1/alerts',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('List alerts, newest first (by firstSeenAt), filtered, a page at a time', {
          description:
            'A page may hold fewer than `limit` alerts and still carry a `nextCursor` when a filter matches few of the alerts looked at.',
        }),
        querystring: { type: 'object', additionalProperties: false, properties: LIST_PROPERTIES },
        response: { 200: ALERT_PAGE_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.alerts.list(parseAlertQuery(request.query)),
  );
}
