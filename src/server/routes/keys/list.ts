import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { OWNER_ID, type KeyRouteDeps } from './shared.js';

/** Lists an owner's keys (security). */
export function register(app: FastifyInstance, { store, reader }: KeyRouteDeps): void {
  app.get<{ Querystring: { ownerId: string } }>(
    '/api/v1/keys',
    { onRequest: reader, schema: { querystring: { type: 'object', required: ['ownerId'], properties: { ownerId: OWNER_ID } } } },
    async (request) => {
      if (!(await store.getOwner(request.query.ownerId))) throw new ApiError(404, 'not_found', `no owner ${request.query.ownerId}`);
      return { keys: await store.listKeys(request.query.ownerId) };
    },
  );
}
