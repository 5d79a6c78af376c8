import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';
import { OWNER_ID, NAME, RATE_LIMIT, shownOnce, type KeyRouteDeps } from './shared.js';

/** Creates a key for an owner (admin): the answer shows it once. */
export function register(app: FastifyInstance, { store, admin }: KeyRouteDeps): void {
  app.post<{
    Body: {
      ownerId: string;
      name: string;
      rateLimit?: { requests: number; windowSeconds: number };
      expiresAt?: string;
      canary?: boolean;
      canaryLabel?: string;
    };
  }>(
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
      const created = await store.createKey({
        ownerId,
        name: name.trim(),
        rateLimit,
        expiresAt: expires,
        canary: canary ? { label: canaryLabel?.trim() ?? '' } : undefined,
      });
      return reply.code(201).header('Cache-Control', 'no-store').send(shownOnce(created));
    },
  );
}
