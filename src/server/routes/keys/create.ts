import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { OWNER_ID, NAME, RATE_LIMIT, shownOnce, type KeyRouteDeps } from './shared.js';

/** Creates a key for an owner (admin): the answer shows it once. */
export function register(app: FastifyInstance, { store, admin }: KeyRouteDeps): void {
  app.post<{ Body: { ownerId: string; name: string; rateLimit?: { requests: number; windowSeconds: number }; expiresAt?: string } }>(
    '/api/v1/keys',
    {
      onRequest: admin,
      schema: {
        body: {
          type: 'object',
          required: ['ownerId', 'name'],
          additionalProperties: false,
          properties: { ownerId: OWNER_ID, name: NAME, rateLimit: RATE_LIMIT, expiresAt: { type: 'string', format: 'date-time' } },
        },
      },
    },
    async (request, reply) => {
      const { ownerId, name, rateLimit, expiresAt } = request.body;
      const expires = expiresAt ? new Date(expiresAt) : undefined;
      if (expires && expires.getTime() <= Date.now()) throw new ApiError(400, 'bad_request', 'expiresAt must be in the future');
      const created = await store.createKey({ ownerId, name: name.trim(), rateLimit, expiresAt: expires });
      return reply.code(201).header('Cache-Control', 'no-store').send(shownOnce(created));
    },
  );
}
