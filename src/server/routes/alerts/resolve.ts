import type { FastifyInstance } from 'fastify';
import type { AlertResolution } from '../../../stores/alert-store.js';
import { COMMENT, RESOLUTION } from '../../alert-params.js';
import { ALERT_SCHEMA, ERROR_SCHEMA } from '../../alert-schemas.js';
import { actorOf, serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** POST /api/v1/alerts/:id/resolve. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { resolution: AlertResolution; comment?: string } }>(
    '/api/v1/alerts/:id/resolve',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Resolve an open alert', {
          description:
            '409 `already_resolved` for a resolved alert; 409 `key_active` for `revoked` while the key still works (revoke it first).',
        }),
        params: PARAMS,
        body: {
          type: 'object',
          required: ['resolution'],
          additionalProperties: false,
          properties: { resolution: RESOLUTION, comment: COMMENT },
        },
        response: { 200: ALERT_SCHEMA, 409: ERROR_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.resolve(request.params.id, request.body, actorOf(request)),
  );
}
