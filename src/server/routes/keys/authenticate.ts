import type { FastifyInstance } from 'fastify';
import { isValidKey, keyHint, sha256Hex } from '../../../key-format/key.js';
import { CALLER_SCHEMA, callerContext } from '../caller-context.js';
import type { KeyRouteDeps } from './shared.js';

/** The gateway's check of a presented key (gateway scope): one answer for every kind of invalid key. */
export function register(app: FastifyInstance, { store, gateway, onCanary }: KeyRouteDeps): void {
  app.post<{ Body: { key: string; tokens?: number; clientIp?: string; userAgent?: string; endpoint?: string } }>(
    '/api/v1/authenticate',
    {
      onRequest: gateway,
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: {
            key: { type: 'string', maxLength: 200 },
            tokens: { type: 'integer', minimum: 0, maximum: 1_000_000_000 },
            ...CALLER_SCHEMA,
          },
        },
      },
    },
    async (request, reply) => {
      // One answer for malformed, unknown, revoked and expired: no hint which. Bad checksums never reach Redis.
      const invalid = () => reply.code(401).send({ error: { code: 'invalid_key', message: 'not an active API key' } });
      if (!isValidKey(request.body.key)) return invalid();
      const caller = callerContext(request.body);
      const result = await store.authenticate(request.body.key, request.body.tokens ?? 0, caller);
      if (result.outcome === 'ok') return { keyId: result.keyId, ownerId: result.ownerId };
      // A canary answers exactly like an unknown key; the alert is raised after, without holding the answer.
      if (result.outcome === 'canary') {
        const at = new Date();
        onCanary?.({ secretSha256: sha256Hex(request.body.key), hint: keyHint(request.body.key), keyId: result.keyId, caller, at });
      }
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
