import type { FastifyInstance } from 'fastify';
import { ID, RATE_LIMIT, found, type KeyRouteDeps } from './shared.js';

/** Sets or clears a key's own rate limit (admin). */
export function register(app: FastifyInstance, { store, admin }: KeyRouteDeps): void {
  app.patch<{ Params: { id: string }; Body: { rateLimit: { requests: number; windowSeconds: number } | null } }>(
    '/api/v1/keys/:id',
    {
      onRequest: admin,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: {
          type: 'object',
          required: ['rateLimit'],
          additionalProperties: false,
          properties: { rateLimit: { anyOf: [RATE_LIMIT, { type: 'null' }] } },
        },
      },
    },
    async (request) => found(await store.setRateLimit(request.params.id, request.body.rateLimit), request.params.id),
  );
}
