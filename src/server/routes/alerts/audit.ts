import type { FastifyInstance } from 'fastify';
import { AUDIT_ENTRY } from '../../alert-schemas.js';
import { serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** GET /api/v1/alerts/:id/audit: the audit trail, oldest first. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/alerts/:id/audit',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Who did what to the alert, and when (oldest first)'),
        params: PARAMS,
        response: { 200: { type: 'object', properties: { audit: { type: 'array', items: AUDIT_ENTRY } } }, ...ERRORS },
      },
    },
    async (request) => {
      await review.get(request.params.id);
      return { audit: await review.alerts.audit(request.params.id) };
    },
  );
}
