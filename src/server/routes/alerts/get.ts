import type { FastifyInstance } from 'fastify';
import { ALERT_DETAIL_SCHEMA } from '../../alert-schemas.js';
import { serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** GET /api/v1/alerts/:id: an alert with everything the review needs. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/alerts/:id',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc(
          "An alert, with its key (name, hint, status), owner, every place with links, timeline, notifications, the key's usage since exposure and the audit trail",
        ),
        params: PARAMS,
        response: { 200: ALERT_DETAIL_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.detail(request.params.id),
  );
}
