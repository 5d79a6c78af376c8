import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import { forbiddenAddressReason } from '../../notify/address-policy.js';
import type { RedisKeyStore } from '../../stores/redis-key-store.js';
import { requireScope, type BearerAuth } from '../auth.js';
import { ApiError } from '../errors.js';
import { idPattern } from '../../stores/ids.js';

export function ownerRoutes(
  app: FastifyInstance,
  store: RedisKeyStore,
  auth: BearerAuth,
  options: { allowPrivateWebhooks: boolean },
): void {
  const admin = requireScope(auth, ['admin']);
  const reader = requireScope(auth, ['security']);

  app.post<{ Body: { name: string; email?: string; webhookUrl?: string } }>(
    '/api/v1/owners',
    {
      onRequest: admin,
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            email: { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' },
            webhookUrl: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (request, reply) => {
      const { name, email, webhookUrl } = request.body;
      if (webhookUrl !== undefined) checkWebhookUrl(webhookUrl, options.allowPrivateWebhooks);
      return reply.code(201).send(await store.createOwner({ name: name.trim(), email, webhookUrl }));
    },
  );

  app.get('/api/v1/owners', { onRequest: reader }, async () => ({ owners: await store.listOwners() }));

  app.get<{ Params: { id: string } }>(
    '/api/v1/owners/:id',
    { onRequest: reader, schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: idPattern('own') } } } } },
    async (request) => {
      const owner = await store.getOwner(request.params.id);
      if (!owner) throw new ApiError(404, 'not_found', `no owner ${request.params.id}`);
      // The webhook secret signs notifications: only admins (and the pipeline's adapter, which uses one) see it.
      if (request.apiToken?.scope !== 'admin') {
        const { webhookSecret: _secret, ...rest } = owner;
        return rest;
      }
      return owner;
    },
  );
}

/** Owner webhooks must be https and public (plain http and internal addresses only when NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS=1, for development). */
function checkWebhookUrl(value: string, allowPlainHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApiError(400, 'bad_request', 'webhookUrl is not a URL');
  }
  if (url.protocol !== 'https:' && !(allowPlainHttp && url.protocol === 'http:')) {
    throw new ApiError(400, 'bad_request', 'webhookUrl must use https');
  }
  if (url.username || url.password) throw new ApiError(400, 'bad_request', 'webhookUrl must not carry credentials');
  // Early word for the obvious cases; the notifier checks every resolved address at delivery (src/notify/safe-webhook.ts).
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (
    !allowPlainHttp &&
    (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && forbiddenAddressReason(host) !== null))
  ) {
    throw new ApiError(400, 'bad_request', 'webhookUrl must be a public address (loopback, private and link-local addresses are refused)');
  }
}
