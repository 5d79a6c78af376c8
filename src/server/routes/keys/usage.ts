import type { FastifyInstance } from 'fastify';
import { ID, found, type KeyRouteDeps } from './shared.js';

/** A key's usage buckets since a date (security). */
export function register(app: FastifyInstance, { store, reader }: KeyRouteDeps): void {
  app.get<{ Params: { id: string }; Querystring: { since?: string } }>(
    '/api/v1/keys/:id/usage',
    {
      onRequest: reader,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        querystring: { type: 'object', properties: { since: { type: 'string', format: 'date-time' } } },
      },
    },
    async (request) => {
      found(await store.getKey(request.params.id), request.params.id);
      const since = request.query.since ? new Date(request.query.since) : new Date(Date.now() - 7 * 86_400_000);
      return { buckets: await store.usageSince(request.params.id, since) };
    },
  );
}
