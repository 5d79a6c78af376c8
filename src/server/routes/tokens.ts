import type { FastifyInstance } from 'fastify';
import { SCOPES, type ApiTokens, type Scope } from '../../stores/api-tokens.js';
import { requireScope } from '../auth.js';
import { ApiError } from '../errors.js';

export function tokenRoutes(app: FastifyInstance, tokens: ApiTokens): void {
  const admin = requireScope(tokens, ['admin']);
  app.post<{ Body: { name: string; scope: Scope } }>(
    '/api/v1/tokens',
    {
      preHandler: admin,
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
      const minted = await tokens.mint(request.body.name, request.body.scope);
      return reply.code(201).header('Cache-Control', 'no-store').send({ id: minted.id, token: minted.token, scope: minted.scope, name: minted.name, createdAt: minted.createdAt });
    },
  );
  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', { preHandler: admin }, async (request, reply) => {
    if (!(await tokens.revoke(request.params.id))) throw new ApiError(404, 'not_found', `no token ${request.params.id}`);
    return reply.code(204).send();
  });
}
