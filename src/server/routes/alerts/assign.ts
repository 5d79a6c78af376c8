import type { FastifyInstance } from 'fastify';
import { ASSIGNEE, COMMENT } from '../../alert-params.js';
import { ALERT_SCHEMA } from '../../alert-schemas.js';
import { actorOf, serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** POST /api/v1/alerts/:id/assign: to a team member, or to nobody. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { assignee: string | null; comment?: string } }>(
    '/api/v1/alerts/:id/assign',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Assign the alert to a team member (a name or an address), or to nobody with null'),
        params: PARAMS,
        body: {
          type: 'object',
          required: ['assignee'],
          additionalProperties: false,
          properties: { assignee: { anyOf: [ASSIGNEE, { type: 'null' }] }, comment: COMMENT },
        },
        response: { 200: ALERT_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.assign(request.params.id, request.body, actorOf(request)),
  );
}
