import type { FastifyInstance } from 'fastify';
import { isValidKey, keyHint, sha256Hex } from '../../key-format/key.js';
import type { ApiTokens } from '../../stores/api-tokens.js';
import type { KeyRecord, RevokedBy } from '../../stores/key-store.js';
import { DEFAULT_GRACE_SECONDS, type RedisKeyStore } from '../../stores/redis-key-store.js';
import { requireScope, type BearerAuth } from '../auth.js';
import { ApiError } from '../errors.js';
import { idPattern } from '../../stores/ids.js';
import { CALLER_SCHEMA, callerContext } from './caller-context.js';
import type { CallerContext } from '../../stores/caller-evidence.js';

/** Told of an authenticate that presented an active canary (after the 401 is decided; never awaited by it). */
export type OnCanary = (use: { secretSha256: string; hint: string; keyId: string; caller: CallerContext | undefined; at: Date }) => void;

// Ids are checked by their pattern here, at the edge, and again by the store before they become part of a Redis key name.
const ID = { type: 'string', pattern: idPattern('key') } as const;
const OWNER_ID = { type: 'string', pattern: idPattern('own') } as const;
// A key name: descriptive, at most 100 characters, no control characters.
const NAME = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$' } as const;
const RATE_LIMIT = {
  type: 'object',
  required: ['requests', 'windowSeconds'],
  additionalProperties: false,
  properties: { requests: { type: 'integer', minimum: 1, maximum: 1_000_000 }, windowSeconds: { type: 'integer', minimum: 1, maximum: 86_400 } },
} as const;

/** The create and rotate answer: the only response that ever holds a key. */
function shownOnce(created: { key: string; record: KeyRecord }) {
  const { id, name, hint, createdAt, ownerId, expiresAt, rateLimit, status, canary, canaryLabel, replaces } = created.record;
  return { id, name, key: created.key, hint, createdAt, ownerId, status, expiresAt, rateLimit, canary, canaryLabel, replaces };
}

export function keyRoutes(app: FastifyInstance, store: RedisKeyStore, auth: BearerAuth, onCanary?: OnCanary): void {
  const admin = requireScope(auth, ['admin']);
  const reader = requireScope(auth, ['security']);
  const gateway = requireScope(auth, ['gateway']);
  const found = (record: KeyRecord | null, id: string) => {
    if (!record) throw new ApiError(404, 'not_found', `no key ${id}`);
    return record;
  };

  app.post<{ Body: { ownerId: string; name: string; rateLimit?: { requests: number; windowSeconds: number }; expiresAt?: string; canary?: boolean; canaryLabel?: string } }>(
    '/api/v1/keys',
    {
      onRequest: admin,
      schema: {
        body: {
          type: 'object',
          required: ['ownerId', 'name'],
          additionalProperties: false,
          properties: {
            ownerId: OWNER_ID,
            name: NAME,
            rateLimit: RATE_LIMIT,
            expiresAt: { type: 'string', format: 'date-time' },
            canary: { type: 'boolean' },
            canaryLabel: { ...NAME, maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const { ownerId, name, rateLimit, expiresAt, canary, canaryLabel } = request.body;
      const expires = expiresAt ? new Date(expiresAt) : undefined;
      if (expires && expires.getTime() <= Date.now()) throw new ApiError(400, 'bad_request', 'expiresAt must be in the future');
      if (canaryLabel !== undefined && !canary) throw new ApiError(400, 'bad_request', 'canaryLabel goes with "canary": true');
      const created = await store.createKey({ ownerId, name: name.trim(), rateLimit, expiresAt: expires, canary: canary ? { label: canaryLabel?.trim() ?? '' } : undefined });
      return reply.code(201).header('Cache-Control', 'no-store').send(shownOnce(created));
    },
  );

  app.get<{ Querystring: { ownerId: string } }>(
    '/api/v1/keys',
    { onRequest: reader, schema: { querystring: { type: 'object', required: ['ownerId'], properties: { ownerId: OWNER_ID } } } },
    async (request) => {
      if (!(await store.getOwner(request.query.ownerId))) throw new ApiError(404, 'not_found', `no owner ${request.query.ownerId}`);
      return { keys: await store.listKeys(request.query.ownerId) };
    },
  );

  app.get<{ Params: { id: string } }>('/api/v1/keys/:id', { onRequest: reader, schema: { params: { type: 'object', properties: { id: ID } } } }, async (request) =>
    found(await store.getKey(request.params.id), request.params.id),
  );

  // For the pipeline and for external adapters: confirm a finding by the key's sha256.
  app.get<{ Params: { sha256: string } }>(
    '/api/v1/keys/by-hash/:sha256',
    { onRequest: reader, schema: { params: { type: 'object', properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } } },
    async (request) => {
      const record = await store.findByHash(request.params.sha256);
      if (!record) throw new ApiError(404, 'not_found', 'no key with that hash');
      return record;
    },
  );

  app.patch<{ Params: { id: string }; Body: { rateLimit: { requests: number; windowSeconds: number } | null } }>(
    '/api/v1/keys/:id',
    {
      onRequest: admin,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: { type: 'object', required: ['rateLimit'], additionalProperties: false, properties: { rateLimit: { anyOf: [RATE_LIMIT, { type: 'null' }] } } },
      },
    },
    async (request) => found(await store.setRateLimit(request.params.id, request.body.rateLimit), request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { reason?: string; revokedBy?: RevokedBy } | undefined }>(
    '/api/v1/keys/:id/revoke',
    {
      onRequest: admin,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 1000 }, revokedBy: { type: 'string', enum: ['owner', 'admin', 'leak-detector'] } },
        },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return found(await store.revoke(request.params.id, { reason: body.reason ?? 'revoked through the API', by: body.revokedBy ?? 'admin' }), request.params.id);
    },
  );

  app.post<{ Params: { id: string }; Body: { graceSeconds?: number } | undefined }>(
    '/api/v1/keys/:id/rotate',
    {
      onRequest: admin,
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: { type: ['object', 'null'], additionalProperties: false, properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: 30 * 86_400 } } },
      },
    },
    async (request, reply) => {
      const rotated = await store.rotateKey(request.params.id, request.body?.graceSeconds ?? DEFAULT_GRACE_SECONDS);
      if (!rotated) throw new ApiError(404, 'not_found', `no key ${request.params.id}`);
      return reply.code(201).header('Cache-Control', 'no-store').send(shownOnce(rotated));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { since?: string } }>(
    '/api/v1/keys/:id/usage',
    {
      onRequest: reader,
      schema: { params: { type: 'object', properties: { id: ID } }, querystring: { type: 'object', properties: { since: { type: 'string', format: 'date-time' } } } },
    },
    async (request) => {
      found(await store.getKey(request.params.id), request.params.id);
      const since = request.query.since ? new Date(request.query.since) : new Date(Date.now() - 7 * 86_400_000);
      return { buckets: await store.usageSince(request.params.id, since) };
    },
  );

  app.post<{ Body: { key: string; tokens?: number; clientIp?: string; userAgent?: string; endpoint?: string } }>(
    '/api/v1/authenticate',
    {
      onRequest: gateway,
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: { key: { type: 'string', maxLength: 200 }, tokens: { type: 'integer', minimum: 0, maximum: 1_000_000_000 }, ...CALLER_SCHEMA },
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
      if (result.outcome === 'canary') onCanary?.({ secretSha256: sha256Hex(request.body.key), hint: keyHint(request.body.key), keyId: result.keyId, caller, at: new Date() });
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
