import type { FastifyInstance } from 'fastify';
import type { RevokedBy } from '../../../stores/key-store.js';
import { ID, found, type KeyRouteDeps } from './shared.js';

/** Revokes a key (admin). */
export function register(app: FastifyInstance, { store, admin }: KeyRouteDeps): void {
  app.post<{ Params: { id: string }; Body: { reason?: string; revokedBy?: RevokedBy } | undefined }>(
    '/api/v1/keys/:id/revoke',
    {
      onRequest: admin,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            reason: { type: 'string', maxLength: 1000 },
            revokedBy: { type: 'string', enum: ['owner', 'admin', 'leak-detector'] },
          },
        },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return found(
        await store.revoke(request.params.id, { reason: body.reason ?? 'revoked through the API', by: body.revokedBy ?? 'admin' }),
        request.params.id,
      );
    },
  );
}
