import type { FastifyInstance } from 'fastify';
import type { RedisKeyStore } from '../../stores/redis-key-store.js';
import { requireScope, type BearerAuth } from '../auth.js';

/**
 * `POST /api/v1/authenticate/probe`: would the gateway's `POST /api/v1/authenticate` accept the key with this
 * sha256 now? The leak detector asks it after revoking, through an HttpKeyStore, to prove the revocation took. It
 * runs the gateway's own authenticate script in its probe mode: the same decision (known, not revoked, not
 * expired), no rate limit spent, no usage counted. It answers a key store's reader (`security`) like
 * `GET /api/v1/keys/by-hash/{sha256}`, which says as much.
 */
export function authenticateProbeRoute(app: FastifyInstance, store: RedisKeyStore, auth: BearerAuth): void {
  app.post<{ Body: { sha256: string } }>(
    '/api/v1/authenticate/probe',
    {
      onRequest: requireScope(auth, ['security']),
      schema: {
        body: {
          type: 'object',
          required: ['sha256'],
          additionalProperties: false,
          properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
        },
      },
    },
    async (request) => ({ authenticates: await store.authenticatesByHash(request.body.sha256) }),
  );
}
