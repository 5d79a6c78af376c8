import type { FastifyInstance } from 'fastify';
import { COMMENT } from '../../alert-params.js';
import { AUDIT_ENTRY } from '../../alert-schemas.js';
import { actorOf, serializerCompiler, PARAMS, ERRORS, doc, type AlertRouteDeps } from './shared.js';

/** POST /api/v1/alerts/:id/comments: a comment in the audit trail. */
export function register(app: FastifyInstance, { review, security }: AlertRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { comment: string } }>(
    '/api/v1/alerts/:id/comments',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Add a comment to the audit trail'),
        params: PARAMS,
        body: {
          type: 'object',
          required: ['comment'],
          additionalProperties: false,
          properties: { comment: { ...COMMENT, minLength: 1, pattern: '\\S' } },
        },
        response: { 201: { type: 'object', properties: { audit: { type: 'array', items: AUDIT_ENTRY } } }, ...ERRORS },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ audit: await review.comment(request.params.id, request.body.comment, actorOf(request)) }),
  );
}
