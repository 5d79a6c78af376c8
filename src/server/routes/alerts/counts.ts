import type { FastifyInstance } from 'fastify';
import { FILTER_PROPERTIES, parseAlertQuery, type AlertQuery } from '../../alert-params.js';
import { serializerCompiler, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** GET /api/v1/alerts/counts: open and resolved alerts under the filters. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.get<{ Querystring: AlertQuery }>(
    '/api/v1/alerts/counts',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Open and resolved alerts under the filters (state aside)', {
          description: '`complete` is false when a filtered count stopped after 20,000 alerts: the numbers are then lower bounds.',
        }),
        querystring: { type: 'object', additionalProperties: false, properties: FILTER_PROPERTIES },
        response: {
          200: { type: 'object', properties: { open: { type: 'integer' }, resolved: { type: 'integer' }, complete: { type: 'boolean' } } },
          ...ERRORS,
        },
      },
    },
    async (request) => review.alerts.count(parseAlertQuery(request.query)),
  );
}
