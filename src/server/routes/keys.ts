import type { FastifyInstance } from 'fastify';
import type { RedisKeyStore } from '../../stores/redis-key-store.js';
import { requireScope, type BearerAuth } from '../auth.js';
import { register as authenticate } from './keys/authenticate.js';
import { register as byHash } from './keys/by-hash.js';
import { register as create } from './keys/create.js';
import { register as get } from './keys/get.js';
import { register as list } from './keys/list.js';
import { register as revoke } from './keys/revoke.js';
import { register as rotate } from './keys/rotate.js';
import { register as setRateLimit } from './keys/set-rate-limit.js';
import type { KeyRouteDeps, OnCanary } from './keys/shared.js';
import { register as usage } from './keys/usage.js';

/**
 * /api/v1/keys and /api/v1/authenticate (docs/api.md, "Endpoints"): one module per endpoint under keys/, registered here
 * in the order the OpenAPI description lists them.
 */
export type { OnCanary };

export function keyRoutes(app: FastifyInstance, store: RedisKeyStore, auth: BearerAuth, onCanary?: OnCanary): void {
  const deps: KeyRouteDeps = {
    store,
    admin: requireScope(auth, ['admin']),
    reader: requireScope(auth, ['security']),
    gateway: requireScope(auth, ['gateway']),
    onCanary,
  };
  for (const register of [create, list, get, byHash, setRateLimit, revoke, rotate, usage, authenticate]) register(app, deps);
}
