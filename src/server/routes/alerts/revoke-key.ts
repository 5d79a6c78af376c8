import type { FastifyInstance } from 'fastify';
import { COMMENT } from '../../alert-params.js';
import { ALERT_SCHEMA, ERROR_SCHEMA } from '../../alert-schemas.js';
import { actorOf, serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** POST /api/v1/alerts/:id/revoke-key: revoke the alert's key now. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { comment?: string } | null | undefined }>(
    '/api/v1/alerts/:id/revoke-key',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc("Revoke the alert's key now", {
          description:
            'For a key the policy only alerted on (a private repository). 409 `already_revoked`; 404 `key_not_found` when the key store no longer has it.',
        }),
        params: PARAMS,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { comment: COMMENT } },
        response: { 200: ALERT_SCHEMA, 409: ERROR_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.revokeKey(request.params.id, request.body ?? {}, actorOf(request)),
  );
}
