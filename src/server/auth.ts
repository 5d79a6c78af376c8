import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiToken, ApiTokens, Scope } from '../stores/api-tokens.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiToken?: ApiToken;
  }
}

/**
 * A preHandler that admits a bearer token with one of `scopes` (an admin token
 * passes everywhere): 401 for a missing or unknown token, 403 for the wrong scope.
 * It runs before the body is looked at, so no one without the scope learns anything.
 */
export function requireScope(tokens: ApiTokens, scopes: readonly Scope[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match ? await tokens.verify(match[1]!) : null;
    if (!token) {
      void reply.header('WWW-Authenticate', 'Bearer');
      throw new ApiError(401, 'unauthorized', 'a valid API token is required (Authorization: Bearer <token>)');
    }
    if (token.scope !== 'admin' && !scopes.includes(token.scope)) {
      throw new ApiError(403, 'forbidden', `this needs a token with scope ${['admin', ...scopes].join(' or ')}`);
    }
    request.apiToken = token;
  };
}
