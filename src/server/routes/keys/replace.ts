import type { FastifyInstance } from 'fastify';
import type { AlertStore } from '../../../stores/alert-store.js';
import { idPattern } from '../../../stores/ids.js';
import { KeyStoreError, type RedisKeyStore } from '../../../stores/redis-key-store.js';
import { requireScope, type BearerAuth } from '../../auth.js';
import { ApiError } from '../../errors.js';

/**
 * `POST /api/v1/keys/{id}/replace` (docs/api.md, "Replace a revoked key"): a new key, shown once, for a revoked or
 * expired one, with its owner, name and rate limit. An active key is a 409 (`key_active`: revoke or rotate it); a
 * second replace is a 409 (`already_replaced`) naming the first one's key, so a retry never mints a second key
 * unnoticed. The alert on the old key, if any, records the replacement.
 */
export function keyReplaceRoute(app: FastifyInstance, store: RedisKeyStore, alerts: AlertStore, auth: BearerAuth): void {
  app.post<{ Params: { id: string } }>(
    '/api/v1/keys/:id/replace',
    {
      onRequest: requireScope(auth, ['admin']),
      schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: idPattern('key') } } } },
    },
    async (request, reply) => {
      let created;
      try {
        created = await store.replaceKey(request.params.id);
      } catch (error) {
        if (error instanceof KeyStoreError && error.otherKeyId) {
          return reply.code(409).send({ error: { code: error.code, message: error.message, keyId: error.otherKeyId } });
        }
        throw error;
      }
      if (!created) throw new ApiError(404, 'not_found', `no key ${request.params.id}`);
      const alert = await alerts.getByKeyId(request.params.id);
      if (alert) await alerts.markReplaced(alert.id, created.record.id);
      const { id, name, hint, createdAt, ownerId, expiresAt, rateLimit, status, canary, canaryLabel, replaces } = created.record;
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({
          id,
          name,
          key: created.key,
          hint,
          createdAt,
          ownerId,
          status,
          expiresAt,
          rateLimit,
          canary,
          canaryLabel,
          replaces,
          alertId: alert?.id ?? null,
        });
    },
  );
}
