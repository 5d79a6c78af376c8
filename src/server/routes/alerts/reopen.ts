import type { FastifyInstance } from 'fastify';
import { COMMENT } from '../../alert-params.js';
import { ALERT_SCHEMA, ERROR_SCHEMA } from '../../alert-schemas.js';
import { actorOf, serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** POST /api/v1/alerts/:id/reopen. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { comment?: string } | null | undefined }>(
    '/api/v1/alerts/:id/reopen',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Reopen a resolved alert', { description: '409 `already_open` for an open alert.' }),
        params: PARAMS,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { comment: COMMENT } },
        response: { 200: ALERT_SCHEMA, 409: ERROR_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.reopen(request.params.id, request.body ?? {}, actorOf(request)),
  );
}
