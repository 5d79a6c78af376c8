import type { FastifyInstance } from 'fastify';
import { SCOPES, type Scope } from '../../stores/api-tokens.js';
import { requireScope, type BearerAuth } from '../auth.js';
import { ApiError } from '../errors.js';
import { idPattern } from '../../stores/ids.js';

export function tokenRoutes(app: FastifyInstance, auth: BearerAuth): void {
  const admin = requireScope(auth, ['admin']);
  app.post<{ Body: { name: string; scope: Scope } }>(
    '/api/v1/tokens',
    {
      onRequest: admin,
      schema: {
        body: {
          type: 'object',
          required: ['name', 'scope'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, scope: { type: 'string', enum: [...SCOPES] } },
        },
      },
    },
    async (request, reply) => {
      const minted = await auth.tokens.mint(request.body.name, request.body.scope);
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({ id: minted.id, token: minted.token, scope: minted.scope, name: minted.name, createdAt: minted.createdAt });
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    { onRequest: admin, schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: idPattern('tok') } } } } },
    async (request, reply) => {
      if (!(await auth.tokens.revoke(request.params.id))) throw new ApiError(404, 'not_found', `no token ${request.params.id}`);
      return reply.code(204).send();
    },
  );
}
