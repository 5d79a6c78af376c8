import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import type { KeyRouteDeps } from './shared.js';

/** Finds a key by its sha256 (security): how the pipeline and external adapters confirm a finding. */
export function register(app: FastifyInstance, { store, reader }: KeyRouteDeps): void {
  app.get<{ Params: { sha256: string } }>(
    '/api/v1/keys/by-hash/:sha256',
    { onRequest: reader, schema: { params: { type: 'object', properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } } },
    async (request) => {
      const record = await store.findByHash(request.params.sha256);
      if (!record) throw new ApiError(404, 'not_found', 'no key with that hash');
      return record;
    },
  );
}
