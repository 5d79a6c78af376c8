import type { FastifyInstance } from 'fastify';
import { ID, found, type KeyRouteDeps } from './shared.js';

/** One key's record (security). */
export function register(app: FastifyInstance, { store, reader }: KeyRouteDeps): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/keys/:id',
    { onRequest: reader, schema: { params: { type: 'object', properties: { id: ID } } } },
    async (request) => found(await store.getKey(request.params.id), request.params.id),
  );
}
