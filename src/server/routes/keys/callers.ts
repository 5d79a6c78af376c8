import type { FastifyInstance } from 'fastify';
import { idPattern } from '../../../stores/ids.js';
import type { RedisKeyStore } from '../../../stores/redis-key-store.js';
import { requireScope, type BearerAuth } from '../../auth.js';
import { ApiError } from '../../errors.js';

/**
 * `GET /api/v1/keys/{id}/callers?since=&until=` (docs/api.md, "Caller evidence"): who used the key in the window,
 * and which addresses and user agents are new since `since` (unseen in the 7 days before). For the notifier of a
 * deployment whose key store is this server (HttpKeyStore), and for people.
 */
export function keyCallersRoute(app: FastifyInstance, store: RedisKeyStore, auth: BearerAuth): void {
  app.get<{ Params: { id: string }; Querystring: { since: string; until?: string } }>(
    '/api/v1/keys/:id/callers',
    {
      onRequest: requireScope(auth, ['security']),
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: idPattern('key') } } },
        querystring: {
          type: 'object',
          required: ['since'],
          properties: { since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' } },
        },
      },
    },
    async (request) => {
      if (!(await store.getKey(request.params.id))) throw new ApiError(404, 'not_found', `no key ${request.params.id}`);
      const since = new Date(request.query.since);
      const until = request.query.until ? new Date(request.query.until) : new Date();
      if (until.getTime() < since.getTime()) throw new ApiError(400, 'bad_request', 'until is before since');
      return store.callerEvidence(request.params.id, since, until);
    },
  );
}
