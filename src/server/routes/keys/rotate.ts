import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { DEFAULT_GRACE_SECONDS } from '../../../stores/redis-key-store.js';
import { ID, shownOnce, type KeyRouteDeps } from './shared.js';

/** Rotates a key (admin): a new key, the old one valid for a grace period; the answer shows the new key once. */
export function register(app: FastifyInstance, { store, admin }: KeyRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { graceSeconds?: number } | undefined }>(
    '/api/v1/keys/:id/rotate',
    {
      onRequest: admin,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: 30 * 86_400 } },
        },
      },
    },
    async (request, reply) => {
      const rotated = await store.rotateKey(request.params.id, request.body?.graceSeconds ?? DEFAULT_GRACE_SECONDS);
      if (!rotated) throw new ApiError(404, 'not_found', `no key ${request.params.id}`);
      return reply.code(201).header('Cache-Control', 'no-store').send(shownOnce(rotated));
    },
  );
}
