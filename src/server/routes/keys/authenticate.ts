import type { FastifyInstance } from 'fastify';
import { isValidKey } from '../../../key-format/key.js';
import type { KeyRouteDeps } from './shared.js';

/** The gateway's check of a presented key (gateway scope): one answer for every kind of invalid key. */
export function register(app: FastifyInstance, { store, gateway }: KeyRouteDeps): void {
  app.post<{ Body: { key: string; tokens?: number } }>(
    '/api/v1/authenticate',
    {
      onRequest: gateway,
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: { key: { type: 'string', maxLength: 200 }, tokens: { type: 'integer', minimum: 0, maximum: 1_000_000_000 } },
        },
      },
    },
    async (request, reply) => {
      // One answer for malformed, unknown, revoked and expired: no hint which. Bad checksums never reach Redis.
      const invalid = () => reply.code(401).send({ error: { code: 'invalid_key', message: 'not an active API key' } });
      if (!isValidKey(request.body.key)) return invalid();
      const result = await store.authenticate(request.body.key, request.body.tokens ?? 0);
      if (result.outcome === 'ok') return { keyId: result.keyId, ownerId: result.ownerId };
      if (result.outcome === 'limited') {
        return reply
          .code(429)
          .header('Retry-After', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))))
          .send({ error: { code: 'rate_limited', message: "this key's rate limit is spent" } });
      }
      return invalid();
    },
  );
}
